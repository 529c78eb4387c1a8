-- metric countries: its definition, output columns and parameters are in countries.toml beside this file
SELECT DISTINCT country FROM valid_lines WHERE country IS NOT NULL ORDER BY country
