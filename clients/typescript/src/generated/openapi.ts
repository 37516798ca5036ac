/**
 * Generated from openapi.json (the server's /api/openapi.json) by `npm run gen:types`.
 * Do not edit: regenerate.
 */

export interface paths {
    "/api/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["refresh_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sync/batch-push": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["batch_push"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sync/checksums": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["checksums"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sync/pull-changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["pull_changes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sync/resolve-conflict": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post: operations["resolve_conflict"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sync/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/{table}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["list_records"];
        put?: never;
        post: operations["create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/{table}/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["get_record"];
        put: operations["replace"];
        post?: never;
        delete: operations["remove"];
        options?: never;
        head?: never;
        patch: operations["patch"];
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description The latest state of one record. */
        Change: {
            /**
             * Format: int64
             * @description The branch the record lives in; `null` for tables shared by every branch of the
             *     client. Absent in answers of servers from before it was added.
             */
            branch_id?: number | null;
            data: Record<string, never>;
            is_deleted: boolean;
            record_id: string;
            /** Format: date-time */
            server_updated_at: string;
            /** Format: int64 */
            sync_version: number;
            table_name: string;
        };
        /** @description One committed change, as published on NATS and relayed to devices. */
        ChangeEvent: {
            /**
             * Format: int64
             * @description The record's branch, or 0 for tables shared by every branch of the client.
             */
            branch_id: number;
            /** Format: int64 */
            client_id: number;
            /** @description The record's fields after the change (a delete keeps the last live data). */
            data: Record<string, never>;
            is_deleted: boolean;
            operation: components["schemas"]["Operation"];
            /**
             * Format: int64
             * @description Place in the client's change order; pulls resume from it.
             */
            position: number;
            record_id: string;
            /**
             * Format: int64
             * @description Number of this event in its (client, branch_id) scope: 1, 2, 3, … without holes, so
             *     a device sees a missed event as a gap.
             */
            scope_seq: number;
            /** Format: date-time */
            server_updated_at: string;
            source_device_id?: string | null;
            /** Format: int64 */
            sync_version: number;
            table_name: string;
        };
        /** @description `GET /api/sync/checksums` */
        ChecksumsResponse: {
            /**
             * @description With `cursor`: whether a record of the caller's scope changed after it (then pull
             *     first: the sums are the server's current state, not the state at the cursor).
             *     Without one: `None`.
             */
            changed_since_cursor?: boolean | null;
            /** @description Every synced table the caller's scope holds, in registry order. */
            tables: components["schemas"]["TableChecksum"][];
        };
        /** @description Device → server. */
        ClientMessage: {
            /** @enum {string} */
            type: "ping";
        } | {
            room: string;
            /** @enum {string} */
            type: "subscribe";
        } | {
            room: string;
            /** @enum {string} */
            type: "unsubscribe";
        } | {
            token: string;
            /** @enum {string} */
            type: "auth";
        };
        /** @description A record the server kept its own version of. */
        Conflict: {
            /** @description `null` for a delete that sent no data. */
            local_data: Record<string, never> | null;
            /** Format: date-time */
            local_updated_at: string;
            record_id: string;
            server_data: Record<string, never>;
            server_is_deleted: boolean;
            /** Format: date-time */
            server_updated_at: string;
            /** Format: int64 */
            sync_version: number;
            table_name: string;
        };
        /** @description `POST /api/{table}`. */
        EntityCreate: {
            /**
             * Format: int64
             * @description Branch tables only: the branch the record lives in, by default the caller's own. A
             *     super admin may name any branch of its client; admins and cashiers only their own
             *     (403 otherwise). Must be absent or `null` for tables shared by every branch (400).
             */
            branch_id?: number | null;
            data: Record<string, never>;
            /** @description The id to create; a UUID is made when absent. */
            record_id?: string | null;
        };
        /** @description `GET /api/{table}`: one page of records in `record_id` order. */
        EntityPage: {
            items: components["schemas"]["Change"][];
            /** @description Where the next page starts; `None` on the last page. */
            next_cursor?: string | null;
        };
        /** @description `PATCH /api/{table}/{id}`: fields to set, counters to change, or both. */
        EntityPatch: {
            /** @description Fields to set; the others keep their values. */
            data?: Record<string, never> | null;
            /** @description Amounts to add to counter fields, as in a push; needs an `Idempotency-Key` header. */
            increments?: {
                [key: string]: number;
            } | null;
        };
        /** @description `POST /api/{table}` and `PUT /api/{table}/{id}`. */
        EntityWrite: {
            data: Record<string, never>;
            /** @description For `POST` only: the id to create; a UUID is made when absent. */
            record_id?: string | null;
        };
        /** @description `{"error": {"code": "...", "message": "..."}}` */
        ErrorBody: {
            error: components["schemas"]["ErrorDetail"];
        };
        /** @description A stable machine-readable `code` and a message for people. */
        ErrorDetail: {
            code: string;
            message: string;
        };
        /** @description `POST /api/auth/login` */
        LoginRequest: {
            password: string;
            username: string;
        };
        /**
         * @description What a change did to its record.
         * @enum {string}
         */
        Operation: "create" | "update" | "delete";
        /** @description `GET /api/sync/pull-changes` answer. */
        PullResponse: {
            changes: components["schemas"]["Change"][];
            has_more: boolean;
            next_cursor?: string | null;
        };
        /** @description One change made on a device. */
        PushRecord: {
            /**
             * Format: int64
             * @description The `sync_version` the device last saw of this record, if any.
             */
            base_version?: number | null;
            /**
             * @description The record's fields: an object checked against its table (the `<table>.data`
             *     schemas). A delete (`is_deleted: true`) may leave it out or send `null`; its
             *     tombstone then keeps the record's last data.
             */
            data?: Record<string, never> | null;
            /**
             * @description An id the device makes once per edit (a UUID): the server applies an edit with an id
             *     at most once, however often it is pushed, for 30 days (`JANITOR_EDIT_RETENTION_SECS`).
             */
            edit_id?: string | null;
            /**
             * @description Amounts to add to counter fields (`{"quantity": -1}`), on top of the value each has
             *     when the edit applies: increments never conflict. With `data` left out (or `null`)
             *     the edit changes only these counters. Needs `edit_id`.
             */
            increments?: {
                [key: string]: number;
            } | null;
            is_deleted?: boolean;
            /** Format: date-time */
            local_updated_at: string;
            record_id: string;
            table_name: string;
        };
        /** @description `POST /api/sync/batch-push` */
        PushRequest: {
            device_id: string;
            records: components["schemas"]["PushRecord"][];
        };
        /** @description What a push answers. */
        PushResponse: {
            conflicts: components["schemas"]["Conflict"][];
            errors: components["schemas"]["RecordError"][];
            success: boolean;
            synced_count: number;
            /**
             * @description For each synced record that carried an `edit_id`: the `sync_version` that holds its
             *     edit. A device adds its increments to any copy of the record older than that
             *     version, and to no copy as new or newer. Left out when no record carried an id.
             */
            versions?: components["schemas"]["SyncedVersion"][];
        };
        /** @description A record refused for what it holds; the rest of its batch still applies. */
        RecordError: {
            index: number;
            message: string;
            record_id?: string | null;
            table_name?: string | null;
        };
        /** @description `POST /api/auth/refresh` */
        RefreshRequest: {
            refreshToken: string;
        };
        /**
         * @description Which side of a conflict wins.
         * @enum {string}
         */
        Resolution: "accept_client" | "accept_server";
        /**
         * @description `409` of `accept_client` when the record moved on after the conflict was reported: the
         *     contract's error and the conflict with the version now on the server.
         */
        ResolveMovedOn: {
            conflict: components["schemas"]["Conflict"];
            error: components["schemas"]["ErrorDetail"];
        };
        /** @description `POST /api/sync/resolve-conflict` */
        ResolveRequest: {
            client_data?: Record<string, never> | null;
            /**
             * @description The resolving device: its own change is not sent back to it, and it counts as the
             *     author of the version written.
             */
            device_id?: string | null;
            record_id: string;
            resolution: components["schemas"]["Resolution"];
            /**
             * Format: int64
             * @description The server's `sync_version` the conflict showed; required with `accept_client`, which
             *     writes only over that version and otherwise answers 409 with the new conflict.
             */
            sync_version?: number | null;
            table_name: string;
        };
        /** @description What resolving answers: the record as the server now holds it. */
        ResolveResponse: {
            record: components["schemas"]["Change"];
            success: boolean;
        };
        /**
         * @description What a user may see: `super_admin` every branch of its client, the others their branch.
         * @enum {string}
         */
        Role: "super_admin" | "admin" | "cashier";
        /** @description Server → device. */
        ServerMessage: {
            /** @enum {string} */
            type: "pong";
        } | (components["schemas"]["ChangeEvent"] & {
            room: string;
        } & {
            /** @enum {string} */
            type: "sync";
        }) | {
            /** Format: int64 */
            branch_id: number;
            /** Format: int64 */
            position: number;
            record_id: string;
            room: string;
            /** Format: int64 */
            scope_seq: number;
            /** Format: int64 */
            sync_version: number;
            table_name: string;
            /** @enum {string} */
            type: "own";
        } | {
            room: string;
            /** @enum {string} */
            type: "subscribed";
        } | {
            room: string;
            /** @enum {string} */
            type: "unsubscribed";
        } | {
            /** Format: int64 */
            expires_at: number;
            /** @enum {string} */
            type: "authenticated";
        } | {
            code: string;
            message: string;
            /** @enum {string} */
            type: "error";
        } | {
            reason: string;
            /** @enum {string} */
            type: "resync";
        };
        /** @description `GET /api/sync/stats` */
        StatsResponse: {
            /** Format: date-time */
            last_sync_at?: string | null;
            /** Format: int64 */
            pending_queue_count: number;
            tables_stats: components["schemas"]["TableStat"][];
        };
        /** @description The server version that holds a pushed record's edit. */
        SyncedVersion: {
            index: number;
            /** Format: int64 */
            sync_version: number;
        };
        /** @description One table's records in the caller's scope. */
        TableChecksum: {
            /**
             * Format: int32
             * @description Sum of [`record_term`] of those records, modulo 2^32.
             */
            checksum: number;
            /**
             * Format: int64
             * @description Stored records, tombstones included.
             */
            record_count: number;
            table_name: string;
        };
        /** @description Live records of one table in the caller's scope. */
        TableStat: {
            /** Format: int64 */
            record_count: number;
            table_name: string;
        };
        /** @description What login and refresh answer. */
        TokenResponse: {
            accessToken: string;
            /**
             * Format: int64
             * @description Seconds until the access token expires.
             */
            expiresIn: number;
            refreshToken: string;
            user: components["schemas"]["UserInfo"];
        };
        /** @description The logged-in user, as devices show it. */
        UserInfo: {
            /** Format: int64 */
            branch_id: number;
            /** Format: int64 */
            client_id: number;
            /** Format: int64 */
            id: number;
            role: components["schemas"]["Role"];
            username: string;
        };
        /** @description `GET /api/auth/me`: who the presented access token says the caller is. */
        WhoAmI: {
            /** Format: int64 */
            branch_id: number;
            /** Format: int64 */
            client_id: number;
            role: components["schemas"]["Role"];
            /** Format: int64 */
            user_id: number;
        };
        /** @description data of cash_movements: per branch (branch_id on records); written by every role; list filters: amount, type, shift_id. Fields not declared here are kept as sent. */
        "cash_movements.data": {
            amount: number;
            shift_id?: (string | number) | null;
            /** @enum {string} */
            type: "in" | "out";
        } & {
            [key: string]: unknown;
        };
        /** @description data of customers: shared by every branch of the client; written by every role; list filters: name, balance, points. Fields not declared here are kept as sent. */
        "customers.data": {
            balance?: number | null;
            name: string;
            points?: number | null;
        } & {
            [key: string]: unknown;
        };
        /** @description data of deposit_sources: shared by every branch of the client; written by admins and super admins; list filters: name. Fields not declared here are kept as sent. */
        "deposit_sources.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of deposits: per branch (branch_id on records); written by every role; list filters: amount, deposit_source_id. Fields not declared here are kept as sent. */
        "deposits.data": {
            amount: number;
            /** @description the id of a record */
            deposit_source_id: string | number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of employee_advances: per branch (branch_id on records); written by admins and super admins; list filters: employee_id, amount. Fields not declared here are kept as sent. */
        "employee_advances.data": {
            amount: number;
            /** @description the id of a record */
            employee_id: string | number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of employee_deductions: per branch (branch_id on records); written by admins and super admins; list filters: employee_id, amount. Fields not declared here are kept as sent. */
        "employee_deductions.data": {
            amount: number;
            /** @description the id of a record */
            employee_id: string | number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of employees: shared by every branch of the client; written by admins and super admins; list filters: name. Fields not declared here are kept as sent. */
        "employees.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of expense_categories: shared by every branch of the client; written by admins and super admins; list filters: name. Fields not declared here are kept as sent. */
        "expense_categories.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of expense_items: per branch (branch_id on records); written by every role; list filters: expense_category_id, amount. Fields not declared here are kept as sent. */
        "expense_items.data": {
            amount: number;
            /** @description the id of a record */
            expense_category_id: string | number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of halls: per branch (branch_id on records); written by every role; list filters: name. Fields not declared here are kept as sent. */
        "halls.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of invoice_items: per branch (branch_id on records); written by every role; list filters: invoice_id, product_id, quantity, price. Fields not declared here are kept as sent. */
        "invoice_items.data": {
            /** @description the id of a record */
            invoice_id: string | number;
            price: number;
            /** @description the id of a record */
            product_id: string | number;
            quantity: number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of invoices: per branch (branch_id on records); written by every role; list filters: total, customer_id, shift_id. Fields not declared here are kept as sent. */
        "invoices.data": {
            customer_id?: (string | number) | null;
            shift_id?: (string | number) | null;
            total: number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of payment_apps: shared by every branch of the client; written by admins and super admins; list filters: name. Fields not declared here are kept as sent. */
        "payment_apps.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of payment_methods: shared by every branch of the client; written by admins and super admins; list filters: name. Fields not declared here are kept as sent. */
        "payment_methods.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of printers: per branch (branch_id on records); written by every role; list filters: name. Fields not declared here are kept as sent. */
        "printers.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of product_categories: shared by every branch of the client; written by every role; list filters: name. Fields not declared here are kept as sent. */
        "product_categories.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of product_stock: per branch (branch_id on records); written by every role; list filters: product_id, quantity, warehouse_id. Fields not declared here are kept as sent. */
        "product_stock.data": {
            /** @description the id of a record */
            product_id: string | number;
            quantity?: number | null;
            warehouse_id?: (string | number) | null;
        } & {
            [key: string]: unknown;
        };
        /** @description data of products: shared by every branch of the client; written by every role; list filters: name, price, cost, category_id. Fields not declared here are kept as sent. */
        "products.data": {
            category_id?: (string | number) | null;
            cost?: number | null;
            name: string;
            price: number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of promotions: shared by every branch of the client; written by admins and super admins; list filters: name, discount. Fields not declared here are kept as sent. */
        "promotions.data": {
            discount?: number | null;
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of purchase_items: per branch (branch_id on records); written by every role; list filters: purchase_id, product_id, quantity, price. Fields not declared here are kept as sent. */
        "purchase_items.data": {
            price: number;
            /** @description the id of a record */
            product_id: string | number;
            /** @description the id of a record */
            purchase_id: string | number;
            quantity: number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of purchase_returns: per branch (branch_id on records); written by every role; list filters: purchase_id, total. Fields not declared here are kept as sent. */
        "purchase_returns.data": {
            /** @description the id of a record */
            purchase_id: string | number;
            total: number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of purchases: per branch (branch_id on records); written by every role; list filters: supplier_id, total. Fields not declared here are kept as sent. */
        "purchases.data": {
            /** @description the id of a record */
            supplier_id: string | number;
            total: number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of restaurant_tables: per branch (branch_id on records); written by every role; list filters: name, hall_id. Fields not declared here are kept as sent. */
        "restaurant_tables.data": {
            hall_id?: (string | number) | null;
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of sales_returns: per branch (branch_id on records); written by every role; list filters: invoice_id, total. Fields not declared here are kept as sent. */
        "sales_returns.data": {
            /** @description the id of a record */
            invoice_id: string | number;
            total: number;
        } & {
            [key: string]: unknown;
        };
        /** @description data of settings: shared by every branch of the client; written by admins and super admins; list filters: key. Fields not declared here are kept as sent. */
        "settings.data": {
            key: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of shifts: per branch (branch_id on records); written by every role; list filters: opened_at, closed_at, employee_id, expected_cash. Fields not declared here are kept as sent. */
        "shifts.data": {
            closed_at?: string | null;
            employee_id?: (string | number) | null;
            expected_cash?: number | null;
            /** Format: date-time */
            opened_at: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of suppliers: shared by every branch of the client; written by every role; list filters: name. Fields not declared here are kept as sent. */
        "suppliers.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of warehouses: per branch (branch_id on records); written by every role; list filters: name. Fields not declared here are kept as sent. */
        "warehouses.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of whatsapp_accounts: shared by every branch of the client; written by admins and super admins; list filters: phone. Fields not declared here are kept as sent. */
        "whatsapp_accounts.data": {
            phone: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of whatsapp_campaigns: shared by every branch of the client; written by admins and super admins; list filters: name. Fields not declared here are kept as sent. */
        "whatsapp_campaigns.data": {
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** @description data of whatsapp_messages: per branch (branch_id on records); written by every role; list filters: to, body, account_id. Fields not declared here are kept as sent. */
        "whatsapp_messages.data": {
            account_id?: (string | number) | null;
            body: string;
            to: string;
        } & {
            [key: string]: unknown;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description tokens */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body larger than 1 MiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate limited (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the caller */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WhoAmI"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    refresh_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description new tokens */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body larger than 1 MiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    batch_push: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PushRequest"];
            };
        };
        responses: {
            /** @description applied, conflicts and per-record errors */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PushResponse"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description outside your scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body larger than 1 MiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    checksums: {
        parameters: {
            query?: {
                /**
                 * @description The device's cursor after its last pull: the answer says whether the scope changed
                 *     after it.
                 */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description stored records and checksum per table, in scope */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChecksumsResponse"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description cursor cannot be served: resync from scratch */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    pull_changes: {
        parameters: {
            query?: {
                /** @description RFC 3339; only without `cursor`. */
                since?: string;
                /** @description Opaque, from `next_cursor`. */
                cursor?: string;
                /** @description Comma-separated table names. */
                tables?: string;
                /** @description 1 to 1000000, default 100. */
                limit?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description changes in change order */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PullResponse"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description cursor cannot be served: resync from scratch */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    resolve_conflict: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResolveRequest"];
            };
        };
        responses: {
            /** @description the record as the server now holds it */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResolveResponse"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description outside your scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description accept_client: the record moved on after the conflict; the new conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ResolveMovedOn"];
                };
            };
            /** @description body larger than 1 MiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description invalid record data */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    stats: {
        parameters: {
            query?: {
                /** @description The calling device; without it `last_sync_at` is the latest of any device in scope. */
                device_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description sync queue backlog, last sync, live records per table */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatsResponse"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_records: {
        parameters: {
            query?: {
                /** @description 1 to 200, default 50 */
                page_size?: number;
                /** @description from next_cursor */
                cursor?: string;
                /** @description false (default), true or any */
                deleted?: string;
                /** @description RFC 3339 */
                updated_since?: string;
            };
            header?: never;
            path: {
                /** @description one of the 31 table names */
                table: "products" | "product_categories" | "customers" | "suppliers" | "invoices" | "invoice_items" | "employees" | "shifts" | "cash_movements" | "payment_methods" | "deposit_sources" | "deposits" | "expense_categories" | "expense_items" | "warehouses" | "product_stock" | "purchases" | "purchase_items" | "sales_returns" | "purchase_returns" | "employee_advances" | "employee_deductions" | "whatsapp_accounts" | "whatsapp_messages" | "whatsapp_campaigns" | "restaurant_tables" | "halls" | "promotions" | "printers" | "payment_apps" | "settings";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a page of records */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EntityPage"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate limited (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create: {
        parameters: {
            query?: never;
            header?: {
                /** @description the device writing, bound like a push's; its own change is not sent back to it */
                "X-Device-Id"?: string | null;
            };
            path: {
                /** @description one of the 31 table names */
                table: "products" | "product_categories" | "customers" | "suppliers" | "invoices" | "invoice_items" | "employees" | "shifts" | "cash_movements" | "payment_methods" | "deposit_sources" | "deposits" | "expense_categories" | "expense_items" | "warehouses" | "product_stock" | "purchases" | "purchase_items" | "sales_returns" | "purchase_returns" | "employee_advances" | "employee_deductions" | "whatsapp_accounts" | "whatsapp_messages" | "whatsapp_campaigns" | "restaurant_tables" | "halls" | "promotions" | "printers" | "payment_apps" | "settings";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EntityCreate"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Change"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description outside your scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body larger than 1 MiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description invalid record data */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate limited (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_record: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description one of the 31 table names */
                table: "products" | "product_categories" | "customers" | "suppliers" | "invoices" | "invoice_items" | "employees" | "shifts" | "cash_movements" | "payment_methods" | "deposit_sources" | "deposits" | "expense_categories" | "expense_items" | "warehouses" | "product_stock" | "purchases" | "purchase_items" | "sales_returns" | "purchase_returns" | "employee_advances" | "employee_deductions" | "whatsapp_accounts" | "whatsapp_messages" | "whatsapp_campaigns" | "restaurant_tables" | "halls" | "promotions" | "printers" | "payment_apps" | "settings";
                /** @description record id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the record; ETag is its sync_version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Change"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate limited (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    replace: {
        parameters: {
            query?: never;
            header?: {
                /** @description the sync_version the write expects */
                "If-Match"?: string | null;
                /** @description the device writing, bound like a push's; its own change is not sent back to it */
                "X-Device-Id"?: string | null;
            };
            path: {
                /** @description one of the 31 table names */
                table: "products" | "product_categories" | "customers" | "suppliers" | "invoices" | "invoice_items" | "employees" | "shifts" | "cash_movements" | "payment_methods" | "deposit_sources" | "deposits" | "expense_categories" | "expense_items" | "warehouses" | "product_stock" | "purchases" | "purchase_items" | "sales_returns" | "purchase_returns" | "employee_advances" | "employee_deductions" | "whatsapp_accounts" | "whatsapp_messages" | "whatsapp_campaigns" | "restaurant_tables" | "halls" | "promotions" | "printers" | "payment_apps" | "settings";
                /** @description record id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EntityWrite"];
            };
        };
        responses: {
            /** @description replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Change"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description outside your scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description If-Match does not match the sync_version */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body larger than 1 MiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description invalid record data */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate limited (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    remove: {
        parameters: {
            query?: never;
            header?: {
                /** @description the sync_version the write expects */
                "If-Match"?: string | null;
                /** @description the device writing, bound like a push's; its own change is not sent back to it */
                "X-Device-Id"?: string | null;
            };
            path: {
                /** @description one of the 31 table names */
                table: "products" | "product_categories" | "customers" | "suppliers" | "invoices" | "invoice_items" | "employees" | "shifts" | "cash_movements" | "payment_methods" | "deposit_sources" | "deposits" | "expense_categories" | "expense_items" | "warehouses" | "product_stock" | "purchases" | "purchase_items" | "sales_returns" | "purchase_returns" | "employee_advances" | "employee_deductions" | "whatsapp_accounts" | "whatsapp_messages" | "whatsapp_campaigns" | "restaurant_tables" | "halls" | "promotions" | "printers" | "payment_apps" | "settings";
                /** @description record id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the tombstone */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Change"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description outside your scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description If-Match does not match the sync_version */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate limited (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    patch: {
        parameters: {
            query?: never;
            header?: {
                /** @description the sync_version the write expects */
                "If-Match"?: string | null;
                /** @description an id made once per change (a UUID), required with increments: a PATCH with a key is applied once, and repeating it answers the record */
                "Idempotency-Key"?: string | null;
                /** @description the device writing, bound like a push's; its own change is not sent back to it */
                "X-Device-Id"?: string | null;
            };
            path: {
                /** @description one of the 31 table names */
                table: "products" | "product_categories" | "customers" | "suppliers" | "invoices" | "invoice_items" | "employees" | "shifts" | "cash_movements" | "payment_methods" | "deposit_sources" | "deposits" | "expense_categories" | "expense_items" | "warehouses" | "product_stock" | "purchases" | "purchase_items" | "sales_returns" | "purchase_returns" | "employee_advances" | "employee_deductions" | "whatsapp_accounts" | "whatsapp_messages" | "whatsapp_campaigns" | "restaurant_tables" | "halls" | "promotions" | "printers" | "payment_apps" | "settings";
                /** @description record id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EntityPatch"];
            };
        };
        responses: {
            /** @description merged */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Change"];
                };
            };
            /** @description bad input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description missing, invalid or expired token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description outside your scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description If-Match does not match the sync_version */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body larger than 1 MiB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description body is not JSON */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description invalid record data or increments */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate limited (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description MySQL answers (`nats` says whether events go out now or later) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
            /** @description MySQL does not answer within 2 s */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                };
            };
        };
    };
}
