-- One customer's orders, revenue, first and last order time and country (orders = 0 for an unknown id).
-- Parameters: $customer.
{{customer_orders}}
SELECT count(*) AS orders, sum(revenue) AS revenue, min(ordered_at) AS first_order,
       max(ordered_at) AS last_order, min(country) AS country
FROM customer_orders
