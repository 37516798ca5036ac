//! The till's words in English and Arabic; `?lang=ar` picks Arabic and right-to-left.
export type Lang = 'en' | 'ar';

const en = {
  title: 'possync till',
  username: 'User name',
  password: 'Password',
  login: 'Log in',
  loginFailed: 'Login failed',
  online: 'online',
  offline: 'offline',
  connecting: 'connecting',
  pending: 'waiting to sync',
  firstSync: 'First sync',
  firstSyncDone: 'First sync complete',
  catchingUp: 'Catching up',
  records: 'records',
  conflicts: 'Conflicts',
  keepMine: 'Keep mine',
  keepServer: 'Keep server',
  mine: 'mine',
  server: 'server',
  products: 'Products',
  name: 'Name',
  price: 'Price',
  addProduct: 'Add product',
  stock: 'stock',
  editPrice: 'Edit price',
  save: 'Save',
  cart: 'Cart',
  emptyCart: 'Tap a product to sell it',
  total: 'Total',
  checkout: 'Checkout',
  recentSales: 'Recent sales',
  search: 'Search, or scan a barcode',
  barcode: 'Barcode',
  noBarcode: 'No product has barcode',
  remove: 'Remove',
  checkoutFailed: 'The sale was not saved',
  card_exceeds_total: 'the card pays more than the total',
  not_enough_cash: 'not enough cash handed over',
  payment: 'Payment',
  cash: 'Cash',
  card: 'Card',
  split: 'Cash and card',
  tendered: 'Cash handed over',
  cardAmount: 'By card',
  change: 'Change',
  receipt: 'Receipt',
  print: 'Print',
  close: 'Close',
  shift: 'Shift',
  noShift: 'No shift open',
  openingFloat: 'Opening float',
  openShift: 'Open shift',
  expectedCash: 'Expected cash',
  counted: 'Counted cash',
  closeShift: 'Close shift',
  variance: 'Variance',
  customerPhone: 'Customer phone',
  cashMovement: 'Cash in or out',
  cashIn: 'In',
  cashOut: 'Out',
  account: 'On account',
  balance: 'owes',
  account_needs_customer: 'a sale on account needs a customer',
  discount: 'Discount',
  saleDiscount: 'Discount on the sale',
  subtotal: 'Subtotal',
  tax: 'Tax',
  customerName: 'New customer name',
  addCustomer: 'Add customer',
  points: 'points',
  detach: 'Remove',
  refund: 'Refund',
  confirmRefund: 'Refund these',
  refunded: 'Refunded',
  nothing_to_return: 'choose what is given back',
  items: 'items',
  logout: 'Log out',
  loggedOutHelp: 'Logged out: log in again to sync (sales made meanwhile are kept)',
  syncError: 'Sync problem (sales are kept on this till and sent when it clears)',
  refused: 'Refused by the server, fix it and save again, or discard:',
  discard: 'Discard',
  pendingEdits: 'This till still holds sales not sent: go online and log in as the cashier who made them first',
};

const ar: typeof en = {
  title: 'نقطة بيع possync',
  username: 'اسم المستخدم',
  password: 'كلمة المرور',
  login: 'تسجيل الدخول',
  loginFailed: 'فشل تسجيل الدخول',
  online: 'متصل',
  offline: 'غير متصل',
  connecting: 'جارٍ الاتصال',
  pending: 'بانتظار المزامنة',
  firstSync: 'المزامنة الأولى',
  firstSyncDone: 'اكتملت المزامنة الأولى',
  catchingUp: 'جارٍ جلب التغييرات',
  records: 'السجلات',
  conflicts: 'تعارضات',
  keepMine: 'احتفظ بنسختي',
  keepServer: 'احتفظ بنسخة الخادم',
  mine: 'نسختي',
  server: 'الخادم',
  products: 'المنتجات',
  name: 'الاسم',
  price: 'السعر',
  addProduct: 'أضف منتجًا',
  stock: 'المخزون',
  editPrice: 'عدّل السعر',
  save: 'احفظ',
  cart: 'السلة',
  emptyCart: 'المس منتجًا لبيعه',
  total: 'الإجمالي',
  checkout: 'الدفع',
  recentSales: 'آخر المبيعات',
  search: 'ابحث، أو امسح الباركود',
  barcode: 'الباركود',
  noBarcode: 'لا منتج بالباركود',
  remove: 'احذف',
  checkoutFailed: 'لم يُحفظ البيع',
  card_exceeds_total: 'مبلغ البطاقة أكبر من الإجمالي',
  not_enough_cash: 'النقد المدفوع لا يكفي',
  payment: 'الدفع',
  cash: 'نقدًا',
  card: 'بطاقة',
  split: 'نقد وبطاقة',
  tendered: 'النقد المدفوع',
  cardAmount: 'بالبطاقة',
  change: 'الباقي',
  receipt: 'الإيصال',
  print: 'اطبع',
  close: 'أغلق',
  shift: 'الوردية',
  noShift: 'لا وردية مفتوحة',
  openingFloat: 'رصيد الافتتاح',
  openShift: 'افتح الوردية',
  expectedCash: 'النقد المتوقع',
  counted: 'النقد المعدود',
  closeShift: 'أغلق الوردية',
  variance: 'الفرق',
  customerPhone: 'هاتف العميل',
  cashMovement: 'إيداع أو سحب نقدي',
  cashIn: 'إيداع',
  cashOut: 'سحب',
  account: 'على الحساب',
  balance: 'عليه',
  account_needs_customer: 'البيع على الحساب يحتاج إلى عميل',
  discount: 'الخصم',
  saleDiscount: 'خصم على البيع',
  subtotal: 'المجموع الفرعي',
  tax: 'الضريبة',
  customerName: 'اسم العميل الجديد',
  addCustomer: 'أضف العميل',
  points: 'نقاط',
  detach: 'أزل',
  refund: 'استرجاع',
  confirmRefund: 'استرجع هذه',
  refunded: 'تم الاسترجاع',
  nothing_to_return: 'اختر ما يُعاد',
  items: 'أصناف',
  logout: 'تسجيل الخروج',
  loggedOutHelp: 'تم تسجيل الخروج: سجّل الدخول مجددًا للمزامنة (المبيعات محفوظة)',
  syncError: 'مشكلة في المزامنة (المبيعات محفوظة على هذه النقطة وتُرسل عند زوالها)',
  refused: 'رفضه الخادم، صحّحه واحفظه مجددًا أو تجاهله:',
  discard: 'تجاهل',
  pendingEdits: 'على هذه النقطة مبيعات لم تُرسل: اتصل بالشبكة وسجّل الدخول باسم الكاشير الذي أجراها أولًا',
};

export type Labels = typeof en;

/** The digits a shop prints: Latin (`latn`, the default) or Arabic-Indic (`arab`). */
export type Digits = 'latn' | 'arab';

export interface Locale {
  lang: Lang;
  t: Labels;
  /** Sorts product names of any script the way this language's readers expect. */
  collator: Intl.Collator;
  /** A price in minor units (cents), in the shop's digits. */
  money: (minor: number) => string;
  /** Counts in the shop's digits and the language's grouping. */
  count: (n: number) => string;
  /** Times in the shop's digits. */
  time: (at: Date, style: Intl.DateTimeFormatOptions) => string;
  /** The shop's digits (the `digits` setting, or `?digits=`); set before the till is drawn. */
  useDigits: (digits: Digits) => void;
}

export function pickLocale(search: string): Locale {
  const params = new URLSearchParams(search);
  const lang: Lang = params.get('lang') === 'ar' ? 'ar' : 'en';
  let digits: Digits = params.get('digits') === 'arab' ? 'arab' : 'latn';
  const forced = params.has('digits');
  const format = (digits: Digits) => ({
    money: new Intl.NumberFormat(`${lang}-u-nu-${digits}`, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
    whole: new Intl.NumberFormat(`${lang}-u-nu-${digits}`),
  });
  let formats = format(digits);
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
  document.title = (lang === 'ar' ? ar : en).title;
  return {
    lang,
    t: lang === 'ar' ? ar : en,
    collator: new Intl.Collator(lang, { numeric: true }),
    money: (minor) => formats.money.format(minor / 100),
    count: (n) => formats.whole.format(n),
    time: (at, style) => new Intl.DateTimeFormat(`${lang}-u-nu-${digits}`, style).format(at),
    useDigits: (chosen) => {
      if (forced || chosen === digits) return;
      digits = chosen;
      formats = format(digits);
    },
  };
}

/** A typed amount (`12.5`, `12,50`, Arabic-Indic digits too) in minor units, or undefined. */
export function toMinor(text: string): number | undefined {
  const latin = text.trim().replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x660)).replace(/[٫,]/, '.');
  if (!/^\d+(\.\d{0,2})?$/.test(latin)) return undefined;
  const [whole, fraction = ''] = latin.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}
