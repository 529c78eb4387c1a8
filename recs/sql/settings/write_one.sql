-- Store one setting: binds $name and $value (text or NULL); replaces an earlier value of the same name.
INSERT OR REPLACE INTO shop_settings (name, value, updated_at) VALUES ($name, $value, now()::TIMESTAMP)
