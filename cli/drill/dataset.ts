/**
 * A deterministic shop dataset for the drill: products with variants, inventory per variant,
 * users, customers, orders with line items, reviews and wishlists, linked to each other the
 * way a real shop's tables are (order items point at variants' SKUs, reviews at products and
 * users, wishlists at users and products).
 *
 * The same `items` and `seed` always give the same items (a seeded PRNG, a fixed base date,
 * no `Date.now()`), so a drill report is comparable from run to run.
 */

/** One generated item, plain JSON (marshalled before writing). */
export type ShopItem = Record<string, unknown>;

/** Tables the generator knows, by their names in the example config. */
export const SHOP_TABLES = ['products', 'product_variants', 'inventory', 'orders', 'order_items', 'users', 'customers', 'reviews', 'wishlists'] as const;
/** A table of the shop dataset. */
export type ShopTable = (typeof SHOP_TABLES)[number];

/** Fixed base time of the dataset: 2026-01-01T00:00:00Z. */
const BASE_MS = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const CATEGORIES = ['shoes', 'shirts', 'trousers', 'jackets', 'bags', 'hats', 'socks', 'watches'];
const COLOURS = ['black', 'white', 'navy', 'red', 'green', 'grey'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
const STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'refunded'];
const FIRST = ['Ada', 'Ben', 'Chloe', 'Dev', 'Emma', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jon', 'Kai', 'Lena'];
const LAST = ['Smith', 'Okafor', 'Nowak', 'Garcia', 'Chen', 'Patel', 'Muller', 'Rossi', 'Kim', 'Silva'];

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, w = 6) => String(n).padStart(w, '0');
const iso = (ms: number) => new Date(ms).toISOString();
/** Money with two decimals, as a number DynamoDB stores exactly as written. */
const money = (x: number) => Math.round(x * 100) / 100;

/** How many items of each kind a target size gives (at least one of each). */
export function shopSizes(items: number): { products: number; users: number; orders: number; reviews: number; wishlistUsers: number } {
  const n = Math.max(40, Math.floor(items));
  return { products: Math.ceil(n / 40), users: Math.ceil(n / 16), orders: Math.ceil(n / 8), reviews: Math.ceil(n / 10), wishlistUsers: Math.ceil(n / 36) };
}

/**
 * Generates the whole dataset, table by table. About `items` items in total (the exact count is
 * in the result); memory is proportional to it, which the drill's sizes allow.
 */
export function generateShop(items: number, seed = 20261123): Record<ShopTable, ShopItem[]> {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const size = shopSizes(items);
  const out: Record<ShopTable, ShopItem[]> = {
    products: [],
    product_variants: [],
    inventory: [],
    orders: [],
    order_items: [],
    users: [],
    customers: [],
    reviews: [],
    wishlists: [],
  };

  const skus: { sku: string; productId: string; price: number }[] = [];
  for (let p = 0; p < size.products; p++) {
    const productId = `p-${pad(p)}`;
    const category = pick(CATEGORIES);
    const price = money(5 + rnd() * 295);
    out.products.push({
      productId,
      category,
      price,
      name: `${pick(COLOURS)} ${category} ${p}`,
      description: `A ${category} for every day, model ${p}.`,
      tags: [category, pick(COLOURS), rnd() < 0.3 ? 'sale' : 'new'],
      active: rnd() < 0.95,
      createdAt: iso(BASE_MS + int(0, 180) * DAY_MS),
    });
    const variants = 3;
    for (let v = 0; v < variants; v++) {
      const sku = `${productId}-${SIZES[v % SIZES.length]}-${pick(COLOURS)}`;
      const variantPrice = money(price + v * 2);
      skus.push({ sku, productId, price: variantPrice });
      out.product_variants.push({ productId, variantId: `v-${v}`, sku, size: SIZES[v % SIZES.length], price: variantPrice, weightGrams: int(100, 2000) });
      out.inventory.push({
        sku,
        productId,
        onHand: int(0, 500),
        reserved: int(0, 20),
        warehouse: pick(['LON1', 'DUB1', 'FRA1']),
        updatedAt: iso(BASE_MS + int(0, 300) * DAY_MS),
      });
    }
  }

  const customerIds: string[] = [];
  for (let u = 0; u < size.users; u++) {
    const userId = `u-${pad(u)}`;
    const first = pick(FIRST);
    const last = pick(LAST);
    out.users.push({
      userId,
      email: `${first.toLowerCase()}.${last.toLowerCase()}.${u}@example.com`,
      name: `${first} ${last}`,
      marketingOptIn: rnd() < 0.4,
      createdAt: iso(BASE_MS + int(0, 300) * DAY_MS),
    });
    if (u % 5 !== 4) {
      const customerId = `c-${pad(u)}`;
      customerIds.push(customerId);
      out.customers.push({
        customerId,
        userId,
        address: { line1: `${int(1, 200)} High Street`, city: pick(['London', 'Dublin', 'Berlin', 'Paris']), postcode: `PC${int(1000, 9999)}` },
        loyaltyPoints: int(0, 5000),
      });
    }
  }

  for (let o = 0; o < size.orders; o++) {
    const orderId = `o-${pad(o, 7)}`;
    const lines = int(1, 4);
    let total = 0;
    for (let l = 1; l <= lines; l++) {
      const s = pick(skus);
      const quantity = int(1, 3);
      total += s.price * quantity;
      out.order_items.push({ orderId, lineNo: l, sku: s.sku, productId: s.productId, quantity, unitPrice: s.price });
    }
    out.orders.push({
      orderId,
      customerId: pick(customerIds),
      createdAt: iso(BASE_MS + int(0, 320) * DAY_MS + int(0, DAY_MS - 1)),
      status: pick(STATUSES),
      currency: 'EUR',
      total: money(total),
      lineCount: lines,
    });
  }

  for (let r = 0; r < size.reviews; r++) {
    out.reviews.push({
      productId: pick(skus).productId,
      reviewId: `r-${pad(r, 7)}`,
      userId: `u-${pad(int(0, size.users - 1))}`,
      rating: int(1, 5),
      title: `Review ${r}`,
      body: 'Fits well, arrived quickly.'.repeat(int(1, 4)),
      createdAt: iso(BASE_MS + int(0, 320) * DAY_MS),
    });
  }

  for (let w = 0; w < size.wishlistUsers; w++) {
    const userId = `u-${pad(int(0, size.users - 1))}`;
    const chosen = new Set<string>();
    const count = int(1, 6);
    for (let i = 0; i < count; i++) chosen.add(`p-${pad(int(0, size.products - 1))}`);
    for (const productId of chosen) {
      // expiresAt is far in the future so the TTL attribute never removes drill data.
      out.wishlists.push({ userId, productId, addedAt: iso(BASE_MS + int(0, 320) * DAY_MS), expiresAt: Math.floor(BASE_MS / 1000) + 10 * 365 * 86400 });
    }
  }
  // A user may be drawn twice: keep the last item per key, as a table would.
  out.wishlists = [...new Map(out.wishlists.map((i) => [`${i.userId}|${i.productId}`, i])).values()];
  return out;
}

/** Total items of a generated dataset. */
export function countShop(data: Record<string, ShopItem[]>): number {
  return Object.values(data).reduce((n, xs) => n + xs.length, 0);
}
