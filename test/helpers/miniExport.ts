/**
 * A hand-made Olist export of three people, small enough that every feature can be computed by hand
 * (the expected values are worked out in test/core/features.test.ts).
 *
 * ana (u_ana): two customer_ids, three orders
 *   o1 delivered, bought 2018-01-01 10:00, delivered 2018-01-05 12:00, estimated 2018-01-10 -> 4.5 days early
 *      items: 2 x p_toy (toys) 40.00 + 1 x p_book (books) 20.00; payment 110.00 credit_card 3 installments; review 5
 *   o2 delivered, bought 2018-03-01 09:00, delivered 2018-03-20 00:00, estimated 2018-03-15 -> 5 days late
 *      items: 1 x p_book 30.00; payments 20.00 credit_card 1 + 15.00 voucher 1; reviews 2 and 3 (answered 2018-03-25)
 *   o3 canceled, bought 2018-04-01 -> never counts
 * bob (u_bob): one order
 *   o4 delivered, bought 2018-02-10 08:00, delivered 2018-02-14 08:00, estimated 2018-02-20 -> 6 days early
 *      items: 1 x p_bed (no category) 200.00; payment 230.00 boleto 1; no review
 * cid (u_cid): one order still shipped -> not segmented
 *   o5 shipped, bought 2018-04-10
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MINI: Record<string, string> = {
  'olist_customers_dataset.csv': [
    '"customer_id","customer_unique_id","customer_zip_code_prefix","customer_city","customer_state"',
    'c_ana1,u_ana,"01000",sao paulo,SP',
    'c_ana2,u_ana,"01000",sao paulo,SP',
    'c_ana3,u_ana,"01000",sao paulo,SP',
    'c_bob,u_bob,"20000",rio de janeiro,RJ',
    'c_cid,u_cid,"30000",belo horizonte,MG',
  ].join('\n') + '\n',
  'olist_orders_dataset.csv': [
    '"order_id","customer_id","order_status","order_purchase_timestamp","order_approved_at","order_delivered_carrier_date","order_delivered_customer_date","order_estimated_delivery_date"',
    'o1,c_ana1,delivered,2018-01-01 10:00:00,2018-01-01 11:00:00,2018-01-02 10:00:00,2018-01-05 12:00:00,2018-01-10 00:00:00',
    'o2,c_ana2,delivered,2018-03-01 09:00:00,2018-03-01 10:00:00,2018-03-03 10:00:00,2018-03-20 00:00:00,2018-03-15 00:00:00',
    'o3,c_ana3,canceled,2018-04-01 09:00:00,,,,2018-04-20 00:00:00',
    'o4,c_bob,delivered,2018-02-10 08:00:00,2018-02-10 09:00:00,2018-02-11 10:00:00,2018-02-14 08:00:00,2018-02-20 00:00:00',
    'o5,c_cid,shipped,2018-04-10 08:00:00,2018-04-10 09:00:00,2018-04-11 10:00:00,,2018-04-30 00:00:00',
  ].join('\n') + '\n',
  'olist_order_items_dataset.csv': [
    '"order_id","order_item_id","product_id","seller_id","shipping_limit_date","price","freight_value"',
    'o1,1,p_toy,s1,2018-01-03 10:00:00,40.00,5.00',
    'o1,2,p_toy,s1,2018-01-03 10:00:00,40.00,5.00',
    'o1,3,p_book,s1,2018-01-03 10:00:00,20.00,0.00',
    'o2,1,p_book,s1,2018-03-03 10:00:00,30.00,5.00',
    'o3,1,p_toy,s1,2018-04-03 10:00:00,40.00,5.00',
    'o4,1,p_bed,s1,2018-02-12 10:00:00,200.00,30.00',
    'o5,1,p_toy,s1,2018-04-12 10:00:00,40.00,5.00',
  ].join('\n') + '\n',
  'olist_order_payments_dataset.csv': [
    '"order_id","payment_sequential","payment_type","payment_installments","payment_value"',
    'o1,1,credit_card,3,110.00',
    'o2,1,credit_card,1,20.00',
    'o2,2,voucher,1,15.00',
    'o3,1,credit_card,2,45.00',
    'o4,1,boleto,1,230.00',
    'o5,1,credit_card,1,45.00',
  ].join('\n') + '\n',
  // CRLF and a quoted comment with an embedded newline, as in the real reviews file
  'olist_order_reviews_dataset.csv': [
    '"review_id","order_id","review_score","review_comment_title","review_comment_message","review_creation_date","review_answer_timestamp"',
    'r1,o1,5,,"Adorei,\r\nchegou rapido",2018-01-06 00:00:00,2018-01-07 10:00:00',
    'r2,o2,2,,atrasou,2018-03-21 00:00:00,2018-03-25 10:00:00',
    'r3,o2,3,,,2018-03-21 00:00:00,2018-03-25 11:00:00',
  ].join('\r\n') + '\r\n',
  'olist_products_dataset.csv': [
    '"product_id","product_category_name","product_name_lenght","product_description_lenght","product_photos_qty","product_weight_g","product_length_cm","product_height_cm","product_width_cm"',
    'p_toy,brinquedos,10,100,1,500,10,10,10',
    'p_book,livros_interesse_geral,10,100,1,300,20,5,15',
    'p_bed,,10,100,1,9000,200,40,160',
  ].join('\n') + '\n',
  'olist_sellers_dataset.csv': ['"seller_id","seller_zip_code_prefix","seller_city","seller_state"', 's1,"01000",sao paulo,SP'].join('\n') + '\n',
  // BOM, unquoted header, CRLF, no final newline: as the real file
  'product_category_name_translation.csv': '\uFEFFproduct_category_name,product_category_name_english\r\nbrinquedos,toys\r\nlivros_interesse_geral,books_general_interest',
};

/** Writes the mini export (optionally with some files replaced or removed) to a fresh temp dir. */
export function writeMiniExport(overrides: Record<string, string | Buffer | null> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mini-olist-'));
  for (const [file, content] of Object.entries({ ...MINI, ...overrides })) {
    if (content !== null) writeFileSync(join(dir, file), content);
  }
  return dir;
}
