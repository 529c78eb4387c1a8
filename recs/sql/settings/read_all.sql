-- Every stored setting: name, value (text; NULL when cleared on purpose). No parameters.
SELECT name, value FROM shop_settings ORDER BY name
