from django.db import migrations

# A second index for searches of several words ("nguyen thanh nhung"), PostgreSQL only.
#
# The trigram index answers them too, but it must intersect the posting lists of every trigram of the
# text, and a Vietnamese name's trigrams are mostly very common ones ("ngu", "uye", "yen", " th"…):
# 27 ms at 1,000,000 contacts, whatever the result. Here each word of the search key contributes its
# first and last two, three and four characters ('<ng', '<ngu', '<nguy', '>en', '>yen', '>uyen'); a text of several words
# then needs a few exact keys (its first word's end, its last word's start, its inner words' both),
# and the rarest of them decides: 6 ms for the same search. The keys only *narrow* the rows: the
# search still checks the whole text in each (selectors.search_filter), so what a search finds does
# not change. docs/decisions.md, "Search of several words".
TABLES = ("customers_contact", "customers_account")

FUNCTION = """
CREATE OR REPLACE FUNCTION sencrm_search_ends(key text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  t text;
  terms text[] := '{}';
BEGIN
  FOREACH t IN ARRAY string_to_array(key, ' ') LOOP
    IF t <> '' THEN
      terms := terms || ARRAY[
        '<' || left(t, 2), '<' || left(t, 3), '<' || left(t, 4),
        '>' || right(t, 2), '>' || right(t, 3), '>' || right(t, 4)
      ];
    END IF;
  END LOOP;
  RETURN array_to_tsvector(terms);
END
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_ends ON {table} USING gin (sencrm_search_ends(search_key))"
        )
        schema_editor.execute(f"ANALYZE {table}")  # the planner's statistics of the new keys


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_ends")
    schema_editor.execute("DROP FUNCTION IF EXISTS sencrm_search_ends(text)")


class Migration(migrations.Migration):
    dependencies = [("customers", "0011_search_key_statistics")]

    operations = [migrations.RunPython(create, drop)]
