#!/bin/sh
# Lists the rows of the people table, one name a line.
echo "Content-Type: text/plain"
echo
psql -h "${DB_HOST:-db}" -U postgres -d "${DB_NAME:-people}" -At -c 'SELECT name FROM people ORDER BY id' 2>&1
