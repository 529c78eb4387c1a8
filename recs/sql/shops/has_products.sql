-- 1 when at least one product has a valid sale (`product_sales`), i.e. the shop can be recommended from.
SELECT count(*) > 0 FROM product_sales
