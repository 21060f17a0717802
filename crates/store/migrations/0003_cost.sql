-- Estimated cost in US dollars, from the price table when the run was recorded.
ALTER TABLE runs ADD COLUMN cost_usd REAL;
ALTER TABLE attempts ADD COLUMN cost_usd REAL;
