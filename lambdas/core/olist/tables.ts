/**
 * The Olist export's tables as the product reads them: file names, the columns used and their types.
 * Columns not listed here (geolocation, product dimensions, review texts...) are tolerated and ignored,
 * so a newer export with extra columns still loads.
 */
import { TableSchema } from '../csv/schema';

/** Longest category name accepted (the export's longest is 46 characters): a longer one is an invalid row. */
export const CATEGORY_MAX_LENGTH = 100;

export const ORDER_STATUSES = ['delivered', 'shipped', 'canceled', 'unavailable', 'invoiced', 'processing', 'created', 'approved'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAYMENT_TYPES = ['credit_card', 'boleto', 'voucher', 'debit_card', 'not_defined'] as const;

export const CUSTOMERS: TableSchema = {
  name: 'customers',
  file: 'olist_customers_dataset.csv',
  required: true,
  columns: [
    { name: 'customer_id', type: { kind: 'id' } },
    { name: 'customer_unique_id', type: { kind: 'id' } },
    // Free text in the file; the loader keeps one of Brazil's 27 state codes or "other" (core/olist/states.ts).
    { name: 'customer_state', type: { kind: 'string' }, nullable: true },
  ],
};

export const ORDERS: TableSchema = {
  name: 'orders',
  file: 'olist_orders_dataset.csv',
  required: true,
  columns: [
    { name: 'order_id', type: { kind: 'id' } },
    { name: 'customer_id', type: { kind: 'id' } },
    { name: 'order_status', type: { kind: 'enum', values: ORDER_STATUSES } },
    { name: 'order_purchase_timestamp', type: { kind: 'timestamp' } },
    { name: 'order_delivered_customer_date', type: { kind: 'timestamp' }, nullable: true },
    { name: 'order_estimated_delivery_date', type: { kind: 'timestamp' }, nullable: true },
  ],
};

export const ITEMS: TableSchema = {
  name: 'items',
  file: 'olist_order_items_dataset.csv',
  required: true,
  columns: [
    { name: 'order_id', type: { kind: 'id' } },
    { name: 'order_item_id', type: { kind: 'int', min: 1 } },
    { name: 'product_id', type: { kind: 'id' } },
    { name: 'price', type: { kind: 'number', min: 0 } },
  ],
};

export const PAYMENTS: TableSchema = {
  name: 'payments',
  file: 'olist_order_payments_dataset.csv',
  required: true,
  columns: [
    { name: 'order_id', type: { kind: 'id' } },
    { name: 'payment_type', type: { kind: 'enum', values: PAYMENT_TYPES } },
    // 0 occurs in the real export (two not_defined payments); negative counts do not.
    { name: 'payment_installments', type: { kind: 'int', min: 0 } },
    { name: 'payment_value', type: { kind: 'number', min: 0 } },
  ],
};

export const REVIEWS: TableSchema = {
  name: 'reviews',
  file: 'olist_order_reviews_dataset.csv',
  required: true,
  columns: [
    { name: 'review_id', type: { kind: 'id' } },
    { name: 'order_id', type: { kind: 'id' } },
    { name: 'review_score', type: { kind: 'int', min: 1, max: 5 } },
    { name: 'review_creation_date', type: { kind: 'timestamp' } },
    { name: 'review_answer_timestamp', type: { kind: 'timestamp' }, nullable: true },
  ],
};

export const PRODUCTS: TableSchema = {
  name: 'products',
  file: 'olist_products_dataset.csv',
  required: true,
  columns: [
    { name: 'product_id', type: { kind: 'id' } },
    { name: 'product_category_name', type: { kind: 'string', maxLength: CATEGORY_MAX_LENGTH }, nullable: true },
  ],
};

export const CATEGORY_TRANSLATION: TableSchema = {
  name: 'categoryTranslation',
  file: 'product_category_name_translation.csv',
  required: true,
  columns: [
    // A category name, not an identifier of anyone: non-empty text, bounded like every text the reports show.
    { name: 'product_category_name', type: { kind: 'string', maxLength: CATEGORY_MAX_LENGTH } },
    { name: 'product_category_name_english', type: { kind: 'string', maxLength: CATEGORY_MAX_LENGTH }, nullable: true },
  ],
};

export const SELLERS: TableSchema = {
  name: 'sellers',
  file: 'olist_sellers_dataset.csv',
  required: false,
  columns: [
    { name: 'seller_id', type: { kind: 'id' } },
    { name: 'seller_state', type: { kind: 'string' }, nullable: true },
  ],
};

export const ALL_TABLES: readonly TableSchema[] = [CUSTOMERS, ORDERS, ITEMS, PAYMENTS, REVIEWS, PRODUCTS, CATEGORY_TRANSLATION, SELLERS];
export const REQUIRED_TABLES: readonly TableSchema[] = ALL_TABLES.filter((t) => t.required);
