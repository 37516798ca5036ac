//! The shift: opened with a float, its expected cash moved by every cash sale, refund and
//! cash movement (in or out of the drawer) of any till of the branch (increments, so two
//! tills add up), closed with the counted cash and the variance shown. The open shift is the
//! branch's latest one without `closed_at`.
import type { SyncEngine, TableRecord } from '@possync/client';
import { h, setText } from './dom';
import { toMinor, type Locale } from './i18n';
import { newId } from './sale';

export function shiftPanel(engine: SyncEngine, { t, money }: Locale) {
  const shifts = engine.table('shifts');
  let open: TableRecord<'shifts'> | undefined;
  const state = h('p', { testid: 'shift-state' });
  const float = h('input', { testid: 'shift-float', placeholder: t.openingFloat, inputMode: 'decimal' });
  const openButton = h('button', { testid: 'shift-open', type: 'button' }, t.openShift);
  const counted = h('input', { testid: 'shift-counted', placeholder: t.counted, inputMode: 'decimal' });
  const closeButton = h('button', { testid: 'shift-close', type: 'button' }, t.closeShift);
  const result = h('p', { testid: 'shift-result' });
  const opening = h('div', { className: 'row' }, float, openButton);
  // Cash put in or taken out of the drawer (change brought, a supplier paid).
  const moveAmount = h('input', { testid: 'cash-amount', placeholder: t.cashMovement, inputMode: 'decimal' });
  const move = (type: 'in' | 'out') => async () => {
    const amount = toMinor(moveAmount.value);
    if (amount === undefined || amount === 0 || !open) return;
    const shiftId = open.record_id;
    moveAmount.value = ''; // now: the next amount may be typed while this one is written
    await engine.write(async (w) => {
      await w.put('cash_movements', newId(), { amount, type, shift_id: shiftId, created_at: new Date().toISOString() });
      await w.increment('shifts', shiftId, { expected_cash: type === 'in' ? amount : -amount });
    });
  };
  const moving = h(
    'div',
    { className: 'row' },
    moveAmount,
    h('button', { testid: 'cash-in', type: 'button', onclick: move('in') }, t.cashIn),
    h('button', { testid: 'cash-out', type: 'button', onclick: move('out') }, t.cashOut),
  );
  const closing = h('div', { className: 'row' }, counted, closeButton);

  openButton.onclick = async () => {
    const amount = toMinor(float.value || '0');
    if (amount === undefined) return;
    float.value = '';
    await shifts.put(newId(), { opened_at: new Date().toISOString(), expected_cash: amount, opening_float: amount });
  };
  closeButton.onclick = async () => {
    const amount = toMinor(counted.value);
    if (amount === undefined || !open) return;
    const expected = Number(open.data?.expected_cash ?? 0);
    await shifts.patch(open.record_id, { closed_at: new Date().toISOString(), counted_cash: amount, variance: amount - expected });
    setText(result, `${t.expectedCash} ${money(expected)} · ${t.counted} ${money(amount)} · ${t.variance} ${money(amount - expected)}`);
    counted.value = '';
  };

  engine.live(() => shifts.orderBy('opened_at').reverse().first()).subscribe({
    next: (latest) => {
      open = latest && !latest.data?.closed_at ? latest : undefined;
      setText(state, open ? `${t.expectedCash}: ${money(Number(open.data?.expected_cash ?? 0))}` : t.noShift);
      state.dataset.state = open ? 'open' : 'closed';
      opening.hidden = !!open;
      closing.hidden = moving.hidden = !open;
    },
    error: (err: unknown) => console.warn('shift query failed', err),
  });

  const el = h('section', { className: 'shift' }, h('h2', {}, t.shift), state, opening, moving, closing, result);
  return { el, current: () => open?.record_id };
}
