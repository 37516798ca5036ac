/**
 * Generated from openapi.json (the server's /api/openapi.json) by `npm run gen:types`.
 * Do not edit: regenerate.
 */

/** What a field's value must be (`wire/src/registry.rs`'s `Kind`). */
export type FieldKind = 'text' | 'reference' | 'amount' | 'positive' | 'counter' | 'timestamp' | 'one_of';

export interface FieldRule {
  kind: FieldKind;
  required: boolean;
  /** The allowed values of a `one_of` field. */
  values?: readonly string[];
}

export interface TableRule {
  scope: 'client' | 'branch';
  adminWrite: boolean;
  fields: Readonly<Record<string, FieldRule>>;
}

/** Every synced table's declared fields, as the server checks a write's `data`. */
export const RULES = {
  cash_movements: {
    scope: 'branch', adminWrite: false, fields: {
      amount: { kind: 'amount', required: true },
      shift_id: { kind: 'reference', required: false },
      type: { kind: 'one_of', required: true, values: ["in","out"] },
    },
  },
  customers: {
    scope: 'client', adminWrite: false, fields: {
      balance: { kind: 'counter', required: false },
      name: { kind: 'text', required: true },
      points: { kind: 'counter', required: false },
    },
  },
  deposit_sources: {
    scope: 'client', adminWrite: true, fields: {
      name: { kind: 'text', required: true },
    },
  },
  deposits: {
    scope: 'branch', adminWrite: false, fields: {
      amount: { kind: 'amount', required: true },
      deposit_source_id: { kind: 'reference', required: true },
    },
  },
  employee_advances: {
    scope: 'branch', adminWrite: true, fields: {
      amount: { kind: 'positive', required: true },
      employee_id: { kind: 'reference', required: true },
    },
  },
  employee_deductions: {
    scope: 'branch', adminWrite: true, fields: {
      amount: { kind: 'positive', required: true },
      employee_id: { kind: 'reference', required: true },
    },
  },
  employees: {
    scope: 'client', adminWrite: true, fields: {
      name: { kind: 'text', required: true },
    },
  },
  expense_categories: {
    scope: 'client', adminWrite: true, fields: {
      name: { kind: 'text', required: true },
    },
  },
  expense_items: {
    scope: 'branch', adminWrite: false, fields: {
      amount: { kind: 'amount', required: true },
      expense_category_id: { kind: 'reference', required: true },
    },
  },
  halls: {
    scope: 'branch', adminWrite: false, fields: {
      name: { kind: 'text', required: true },
    },
  },
  invoice_items: {
    scope: 'branch', adminWrite: false, fields: {
      invoice_id: { kind: 'reference', required: true },
      price: { kind: 'amount', required: true },
      product_id: { kind: 'reference', required: true },
      quantity: { kind: 'positive', required: true },
    },
  },
  invoices: {
    scope: 'branch', adminWrite: false, fields: {
      customer_id: { kind: 'reference', required: false },
      shift_id: { kind: 'reference', required: false },
      total: { kind: 'amount', required: true },
    },
  },
  payment_apps: {
    scope: 'client', adminWrite: true, fields: {
      name: { kind: 'text', required: true },
    },
  },
  payment_methods: {
    scope: 'client', adminWrite: true, fields: {
      name: { kind: 'text', required: true },
    },
  },
  printers: {
    scope: 'branch', adminWrite: false, fields: {
      name: { kind: 'text', required: true },
    },
  },
  product_categories: {
    scope: 'client', adminWrite: false, fields: {
      name: { kind: 'text', required: true },
    },
  },
  product_stock: {
    scope: 'branch', adminWrite: false, fields: {
      product_id: { kind: 'reference', required: true },
      quantity: { kind: 'counter', required: false },
      warehouse_id: { kind: 'reference', required: false },
    },
  },
  products: {
    scope: 'client', adminWrite: false, fields: {
      category_id: { kind: 'reference', required: false },
      cost: { kind: 'amount', required: false },
      name: { kind: 'text', required: true },
      price: { kind: 'amount', required: true },
    },
  },
  promotions: {
    scope: 'client', adminWrite: true, fields: {
      discount: { kind: 'amount', required: false },
      name: { kind: 'text', required: true },
    },
  },
  purchase_items: {
    scope: 'branch', adminWrite: false, fields: {
      price: { kind: 'amount', required: true },
      product_id: { kind: 'reference', required: true },
      purchase_id: { kind: 'reference', required: true },
      quantity: { kind: 'positive', required: true },
    },
  },
  purchase_returns: {
    scope: 'branch', adminWrite: false, fields: {
      purchase_id: { kind: 'reference', required: true },
      total: { kind: 'amount', required: true },
    },
  },
  purchases: {
    scope: 'branch', adminWrite: false, fields: {
      supplier_id: { kind: 'reference', required: true },
      total: { kind: 'amount', required: true },
    },
  },
  restaurant_tables: {
    scope: 'branch', adminWrite: false, fields: {
      hall_id: { kind: 'reference', required: false },
      name: { kind: 'text', required: true },
    },
  },
  sales_returns: {
    scope: 'branch', adminWrite: false, fields: {
      invoice_id: { kind: 'reference', required: true },
      total: { kind: 'amount', required: true },
    },
  },
  settings: {
    scope: 'client', adminWrite: true, fields: {
      key: { kind: 'text', required: true },
    },
  },
  shifts: {
    scope: 'branch', adminWrite: false, fields: {
      closed_at: { kind: 'timestamp', required: false },
      employee_id: { kind: 'reference', required: false },
      expected_cash: { kind: 'counter', required: false },
      opened_at: { kind: 'timestamp', required: true },
    },
  },
  suppliers: {
    scope: 'client', adminWrite: false, fields: {
      name: { kind: 'text', required: true },
    },
  },
  warehouses: {
    scope: 'branch', adminWrite: false, fields: {
      name: { kind: 'text', required: true },
    },
  },
  whatsapp_accounts: {
    scope: 'client', adminWrite: true, fields: {
      phone: { kind: 'text', required: true },
    },
  },
  whatsapp_campaigns: {
    scope: 'client', adminWrite: true, fields: {
      name: { kind: 'text', required: true },
    },
  },
  whatsapp_messages: {
    scope: 'branch', adminWrite: false, fields: {
      account_id: { kind: 'reference', required: false },
      body: { kind: 'text', required: true },
      to: { kind: 'text', required: true },
    },
  },
} as const satisfies Record<string, TableRule>;
