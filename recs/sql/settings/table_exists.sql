-- 1 when this database has the shop_settings table (recs.settings reads defaults otherwise), else 0.
SELECT count(*) FROM information_schema.tables WHERE table_name = 'shop_settings'
