//! The sale's customer: found by phone (or added with a name), shown with their points and
//! what they owe, kept current by a live query; the checkout credits them.
import type { SyncEngine } from '@possync/client';
import { h, setText } from './dom';
import type { Locale } from './i18n';
import { newId } from './sale';

export function customerPicker(engine: SyncEngine, { t, money }: Locale) {
  const customers = engine.table('customers');
  let customerId: string | undefined;
  let watchingCustomer: { unsubscribe(): void } | undefined;
  const phone = h('input', { testid: 'customer-phone', placeholder: t.customerPhone, inputMode: 'tel' });
  const newName = h('input', { testid: 'customer-name', placeholder: t.customerName, hidden: true, dir: 'auto' });
  const addCustomer = h('button', { testid: 'customer-add', type: 'button', hidden: true }, t.addCustomer);
  const attached = h('bdi', { testid: 'customer' });
  const detach = h('button', { testid: 'customer-detach', type: 'button', hidden: true }, t.detach);
  const attach = (id: string | undefined) => {
    customerId = id;
    watchingCustomer?.unsubscribe();
    detach.hidden = !id;
    phone.hidden = !!id;
    newName.hidden = addCustomer.hidden = true;
    setText(attached, '');
    if (!id) return;
    watchingCustomer = engine.live(() => customers.get(id)).subscribe({
      next: (c) => {
        const owed = Number(c?.data?.balance ?? 0);
        setText(attached, c?.data ? `${String(c.data.name)} · ${Number(c.data.points ?? 0)} ${t.points}${owed ? ` · ${t.balance} ${money(owed)}` : ''}` : '');
      },
      error: (err: unknown) => console.warn('customer query failed', err),
    });
  };
  phone.onkeydown = async (e) => {
    if (e.key !== 'Enter' || !phone.value.trim()) return;
    e.preventDefault();
    const found = await customers.where('phone').equals(phone.value.trim()).first();
    if (found) attach(found.record_id);
    else newName.hidden = addCustomer.hidden = false;
  };
  addCustomer.onclick = async () => {
    if (!newName.value.trim()) return;
    const id = newId();
    await customers.put(id, { name: newName.value.trim(), phone: phone.value.trim(), points: 0 });
    newName.value = '';
    attach(id);
  };
  detach.onclick = () => {
    phone.value = '';
    attach(undefined);
  };
  const el = h('div', { className: 'row' }, phone, newName, addCustomer, attached, detach);
  return {
    el,
    id: () => customerId,
    clear: () => {
      phone.value = '';
      attach(undefined);
    },
  };
}
