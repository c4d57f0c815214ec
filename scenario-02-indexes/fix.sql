-- Scenario 02's fix: one index per slow query, each matching how that query filters and sorts.
-- Run it with:  ./lab psql 02 -f scenario-02-indexes/fix.sql
-- CONCURRENTLY builds each index without blocking the running server's reads and writes (a few
-- seconds each on 2,000,000 orders); IF NOT EXISTS makes the file safe to run twice.

-- 1. GET /orders/by-number/{number}: an equality lookup on a column with (almost) one row per value.
--    A B-tree index turns "read all 2,000,000 rows" (Seq Scan) into "jump to the row" (Index Scan).
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_order_number_idx ON orders (order_number);

-- 2. GET /customers/{id}/orders: WHERE customer_id = ? ORDER BY created_at DESC LIMIT 20.
--    Column order matters, like a phone book sorted by last name, then first name: the column we
--    filter on with = comes first, the column we sort by second. PostgreSQL then finds the
--    customer's section and reads its newest 20 entries, already in order, and stops.
--    (customer_id) alone would read ALL of a big customer's orders (45,000 for the biggest) and sort
--    them; (created_at, customer_id) would walk the whole index newest-first looking for the customer.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_created_at_idx ON orders (customer_id, created_at DESC);

-- 3. GET /orders/pending: WHERE status = 'pending' ORDER BY created_at DESC LIMIT 50.
--    status has only 4 values; 90% of the orders are 'delivered'. A plain index on (status) is
--    ignored for 'delivered' (reading 90% of a table through an index is slower than reading the
--    table) and barely helps 'pending' (60,000 rows scattered over the table, then sorted).
--    A PARTIAL index holds only the pending orders, already sorted newest first: about 1.3 MB instead of
--    15 MB, and the query reads 50 entries.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_pending_created_at_idx ON orders (created_at DESC) WHERE status = 'pending';

-- 4. GET /products/search?q=...: name ILIKE '%term%'. A B-tree cannot help a search that may match
--    in the middle of a name (it is sorted by the first letters). A trigram index (pg_trgm) indexes
--    every 3-letter piece of every name, so PostgreSQL can find names containing "copper kettle"
--    without reading them all. The alternative - search only from the start of the name - is in
--    SCENARIO.md (a cheaper index, a different feature).
CREATE INDEX CONCURRENTLY IF NOT EXISTS products_name_trgm_idx ON products USING gin (name gin_trgm_ops);

-- Deliberately NOT indexed:
--   orders (status)        - see 3: too few distinct values to help; the partial index does the job.
--   orders (created_at), orders (total_cents), one index "for every column, just in case" - no query
--                          here needs them, and every index slows down every INSERT: POST
--                          /orders/import must update each one (SCENARIO.md measures 0, 3 and 6).
--   customers, products by id - primary keys are indexed already.
