-- Runs once, when the database volume is empty: `rcompose down -v` followed by `up -d` runs it again.
CREATE TABLE people (
    id   serial PRIMARY KEY,
    name text NOT NULL
);
