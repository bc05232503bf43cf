#include "catalog/schema.h"

#include "catalog/catalog.h"

namespace hubsync::catalog {

namespace {

// The end of hubsync.apply_issue_answer() in migrations 103 and 104, once `answer` is found (or not).
QString applyAnswerTail() {
    return QStringLiteral("  IF answer IS NULL THEN\n"
                          "    RAISE EXCEPTION USING ERRCODE = '40001',\n"
                          "      MESSAGE = 'the issue rows changed while HubSync applied the statement to GitHub',\n"
                          "      HINT = 'GitHub has the change; run the statement again after the rows are synced.';\n"
                          "  END IF;\n"
                          "  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n"
                          "  IF TG_OP = 'INSERT' THEN\n"
                          "    -- the sync engine may have stored GitHub's new issue already (a poll): the answer "
                          "replaces it\n"
                          "    EXECUTE format('DELETE FROM %I.%I WHERE id = $1', TG_TABLE_SCHEMA, TG_TABLE_NAME)\n"
                          "      USING (answer->>'id')::bigint;\n"
                          "  END IF;\n"
                          "  RETURN jsonb_populate_record(NEW, answer);\n"
                          "END $fn$");
}

// hubsync.apply_issue_answer() as migration 104 created it: GitHub's answers in the setting hubsync.answers.
QString applyAnswerFunction() {
    return QStringLiteral(
               "CREATE OR REPLACE FUNCTION hubsync.apply_issue_answer() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
               "DECLARE answers jsonb; answer jsonb; used text; i int;\n"
               "BEGIN\n"
               "  IF current_setting('hubsync.apply', true) IS DISTINCT FROM 'on' OR pg_trigger_depth() > 1 THEN\n"
               "    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n"
               "    RETURN NEW;\n"
               "  END IF;\n"
               "  answers := coalesce(nullif(current_setting('hubsync.answers', true), ''), '[]')::jsonb;\n"
               "  used := coalesce(nullif(current_setting('hubsync.answers_used', true), ''), ',');\n"
               "  FOR i IN 0 .. jsonb_array_length(answers) - 1 LOOP\n"
               "    CONTINUE WHEN strpos(used, ',' || i || ',') > 0 OR answers->i->>'op' IS DISTINCT FROM TG_OP;\n"
               "    CONTINUE WHEN TG_OP <> 'INSERT' AND (answers->i->>'key')::bigint IS DISTINCT FROM OLD.id;\n"
               "    answer := answers->i->'row';\n"
               "    PERFORM set_config('hubsync.answers_used', used || i || ',', true);\n"
               "    EXIT;\n"
               "  END LOOP;\n") +
           applyAnswerTail();
}

// hubsync.apply_issue_answer() for every written table (migration 107): an answer finds its row by the
// row's id ("key") or, for tables keyed otherwise (issue_label, ref), by the key columns in "match"; an
// INSERT's answer replaces a row with the same key that the sync engine may have stored already.
QString keyedApplyFunction() {
    return QStringLiteral(
        "CREATE OR REPLACE FUNCTION hubsync.apply_issue_answer() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "DECLARE answers jsonb; entry jsonb; answer jsonb; used text; old_row jsonb; same text;\n"
        "BEGIN\n"
        "  IF current_setting('hubsync.apply', true) IS DISTINCT FROM 'on' OR pg_trigger_depth() > 1 THEN\n"
        "    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n"
        "    RETURN NEW;\n"
        "  END IF;\n"
        "  answers := coalesce(nullif(current_setting('hubsync.answers', true), ''), '[]')::jsonb;\n"
        "  used := coalesce(nullif(current_setting('hubsync.answers_used', true), ''), ',');\n"
        "  FOR i IN 0 .. jsonb_array_length(answers) - 1 LOOP\n"
        "    CONTINUE WHEN strpos(used, ',' || i || ',') > 0 OR answers->i->>'op' IS DISTINCT FROM TG_OP;\n"
        "    IF TG_OP <> 'INSERT' THEN\n"
        "      IF answers->i ? 'match' THEN\n"
        "        old_row := coalesce(old_row, to_jsonb(OLD));\n"
        "        CONTINUE WHEN NOT old_row @> (answers->i->'match');\n"
        "      ELSE\n"
        "        CONTINUE WHEN (answers->i->>'key')::bigint IS DISTINCT FROM OLD.id;\n"
        "      END IF;\n"
        "    END IF;\n"
        "    entry := answers->i;\n"
        "    answer := entry->'row';\n"
        "    PERFORM set_config('hubsync.answers_used', used || i || ',', true);\n"
        "    EXIT;\n"
        "  END LOOP;\n"
        "  IF answer IS NULL THEN\n"
        "    RAISE EXCEPTION USING ERRCODE = '40001',\n"
        "      MESSAGE = format('the %s rows changed while HubSync applied the statement to GitHub', TG_TABLE_NAME),\n"
        "      HINT = 'GitHub has the change; run the statement again after the rows are synced.';\n"
        "  END IF;\n"
        "  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        "    -- the sync engine may have stored GitHub's new row already (a poll, a webhook): the answer replaces it\n"
        "    IF entry ? 'match' THEN\n"
        "      SELECT string_agg(format('%I = %L', key, value), ' AND ') INTO same\n"
        "        FROM jsonb_each_text(entry->'match');\n"
        "      EXECUTE format('DELETE FROM %I.%I WHERE %s', TG_TABLE_SCHEMA, TG_TABLE_NAME, same);\n"
        "    ELSE\n"
        "      EXECUTE format('DELETE FROM %I.%I WHERE id = $1', TG_TABLE_SCHEMA, TG_TABLE_NAME)\n"
        "        USING (answer->>'id')::bigint;\n"
        "    END IF;\n"
        "  END IF;\n"
        "  RETURN jsonb_populate_record(NEW, answer);\n"
        "END $fn$");
}

// The apply and capture triggers of a written table (see migrations 101 and 103).
QStringList writeThroughTriggers(const QString &table) {
    return {QStringLiteral("CREATE TRIGGER hubsync_apply BEFORE INSERT OR UPDATE OR DELETE ON {schema}.%1"
                           " FOR EACH ROW WHEN (current_setting('hubsync.apply', true) = 'on')"
                           " EXECUTE FUNCTION hubsync.apply_issue_answer()")
                .arg(table),
            QStringLiteral("CREATE TRIGGER hubsync_capture AFTER INSERT OR UPDATE OR DELETE ON {schema}.%1"
                           " FOR EACH ROW WHEN (current_setting('hubsync.capture', true) = 'on')"
                           " EXECUTE FUNCTION hubsync.capture_issue_change()")
                .arg(table)};
}

// What write-through needs on a table keyed by id: placeholder ids for INSERTs until GitHub assigns
// real ones, and the triggers.
QStringList idTableWriteThrough(const QString &table) {
    return QStringList{
               QStringLiteral("ALTER TABLE {schema}.%1 ALTER COLUMN id SET DEFAULT -nextval('hubsync.placeholder_seq')")
                   .arg(table)} +
           writeThroughTriggers(table);
}

} // namespace

QList<Migration> allMigrations() {
    QList<Migration> list = builtinMigrations();
    list << Migration{100, QStringLiteral("synced GitHub tables"), schemaStatements()};
    // Write-through support for the proxy: rows a client INSERTs get placeholder keys until GitHub
    // assigns real ones; an AFTER ROW trigger captures changed rows into a session temp table, but only
    // while the proxy has set hubsync.capture for its own statement (the sync engine never does).
    // The sequence, the function and the write log live in schema hubsync and are shared by every data
    // schema, so the migration of a second data schema finds them already there.
    list << Migration{
        101,
        QStringLiteral("issue write-through capture and write log"),
        {QStringLiteral("CREATE SEQUENCE IF NOT EXISTS hubsync.issue_placeholder_seq"),
         QStringLiteral(
             "ALTER TABLE {schema}.issue ALTER COLUMN id SET DEFAULT -nextval('hubsync.issue_placeholder_seq'),"
             " ALTER COLUMN number SET DEFAULT 0"),
         // Created only when missing: replacing it would undo whatever a later migration changed in it.
         QStringLiteral("DO $do$ BEGIN IF to_regprocedure('hubsync.capture_issue_change()') IS NULL THEN\n"
                        "CREATE FUNCTION hubsync.capture_issue_change() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
                        "BEGIN\n"
                        "  IF current_setting('hubsync.capture', true) = 'on' THEN\n"
                        "    INSERT INTO pg_temp.hubsync_capture (op, old_row, new_row) VALUES (TG_OP,\n"
                        "      CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN "
                        "to_jsonb(NEW) END);\n"
                        "  END IF;\n"
                        "  RETURN NULL;\n"
                        "END $fn$;\n"
                        "END IF; END $do$"),
         QStringLiteral("CREATE TRIGGER hubsync_capture AFTER INSERT OR UPDATE OR DELETE ON {schema}.issue"
                        " FOR EACH ROW EXECUTE FUNCTION hubsync.capture_issue_change()"),
         QStringLiteral("CREATE TABLE IF NOT EXISTS hubsync.write_log (id bigserial PRIMARY KEY,"
                        " at timestamptz NOT NULL DEFAULT now(), client text, operation text NOT NULL,"
                        " repository_id bigint, issue_id bigint, request jsonb, http_status int, response jsonb,"
                        " outcome text NOT NULL, error text)")}};
    // Lookups the sync engine and the proxy do by natural keys (issue/PR by number, a subject's reactions).
    list << Migration{
        102,
        QStringLiteral("natural-key indexes"),
        {QStringLiteral("CREATE INDEX issue_repository_number ON {schema}.issue (repository_id, number)"),
         QStringLiteral("CREATE INDEX pull_request_repository_number ON {schema}.pull_request (repository_id, number)"),
         QStringLiteral("CREATE INDEX reaction_subject ON {schema}.reaction (subject_type, subject_id)"),
         QStringLiteral("CREATE INDEX comment_repository_issue ON {schema}.comment (repository_id, issue_number)")}};
    // Write-through, second half: while the proxy re-runs a client's statement with hubsync.apply set, a
    // BEFORE ROW trigger replaces each row by GitHub's answer (staged by the proxy; see migration 104),
    // so the statement's own RETURNING and command tag show what GitHub stored. A row the first run did
    // not see means the table changed in between: 40001, and the client retries. label_names is the
    // editable list of label names, filled for existing rows from raw.
    list << Migration{
        103,
        QStringLiteral("issue write-through apply trigger and label names"),
        {QStringLiteral("ALTER TABLE {schema}.issue ADD COLUMN IF NOT EXISTS label_names jsonb"),
         QStringLiteral("UPDATE {schema}.issue SET label_names = (SELECT coalesce(jsonb_agg(l->'name'), '[]')"
                        " FROM jsonb_array_elements(CASE WHEN jsonb_typeof(raw->'labels') = 'array'"
                        " THEN raw->'labels' ELSE '[]' END) l) WHERE label_names IS NULL AND raw IS NOT NULL"),
         QStringLiteral(
             "CREATE OR REPLACE FUNCTION hubsync.apply_issue_answer() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
             "DECLARE answer jsonb;\n"
             "BEGIN\n"
             "  IF current_setting('hubsync.apply', true) IS DISTINCT FROM 'on' OR pg_trigger_depth() > 1 THEN\n"
             "    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;\n"
             "    RETURN NEW;\n"
             "  END IF;\n"
             "  IF TG_OP = 'INSERT' THEN\n"
             "    UPDATE pg_temp.hubsync_answer SET used = true WHERE ordinal = (SELECT min(ordinal)\n"
             "      FROM pg_temp.hubsync_answer WHERE op = 'INSERT' AND NOT used) RETURNING row INTO answer;\n"
             "  ELSE\n"
             "    UPDATE pg_temp.hubsync_answer SET used = true WHERE ordinal = (SELECT min(ordinal)\n"
             "      FROM pg_temp.hubsync_answer WHERE op = TG_OP AND key = OLD.id AND NOT used) RETURNING row INTO "
             "answer;\n"
             "  END IF;\n") +
             applyAnswerTail(),
         // WHEN: the sync engine's own writes skip both triggers without a plpgsql call or a queued event.
         QStringLiteral("CREATE TRIGGER hubsync_apply BEFORE INSERT OR UPDATE OR DELETE ON {schema}.issue"
                        " FOR EACH ROW WHEN (current_setting('hubsync.apply', true) = 'on')"
                        " EXECUTE FUNCTION hubsync.apply_issue_answer()"),
         QStringLiteral("DROP TRIGGER hubsync_capture ON {schema}.issue"),
         QStringLiteral("CREATE TRIGGER hubsync_capture AFTER INSERT OR UPDATE OR DELETE ON {schema}.issue"
                        " FOR EACH ROW WHEN (current_setting('hubsync.capture', true) = 'on')"
                        " EXECUTE FUNCTION hubsync.capture_issue_change()")}};
    // Write-through, faster: GitHub's answers reach the BEFORE ROW trigger in the transaction-local
    // setting hubsync.answers (a JSON array of {op, key, row}) instead of a temp table, which cost the
    // proxy a jsonb INSERT and an UPDATE per row; hubsync.answers_used lists the answers taken (",0,2,").
    list << Migration{104, QStringLiteral("issue write-through answers in a setting"), {applyAnswerFunction()}};
    // Write-through beyond issues: comments, labels and releases get the placeholder ids, capture and apply
    // triggers issues have (the trigger functions were table-agnostic already; the 40001 message now names
    // the table), and the write log names the table and row of each call.
    QStringList writable{
        QStringLiteral("CREATE SEQUENCE IF NOT EXISTS hubsync.placeholder_seq"),
        QStringLiteral("ALTER TABLE hubsync.write_log ADD COLUMN IF NOT EXISTS table_name text,"
                       " ADD COLUMN IF NOT EXISTS row_id bigint"),
        QStringLiteral("UPDATE hubsync.write_log SET table_name = 'issue', row_id = issue_id WHERE table_name IS NULL"),
        QString(applyAnswerFunction())
            .replace(
                QStringLiteral("'the issue rows changed while HubSync applied the statement to GitHub'"),
                QStringLiteral(
                    "format('the %s rows changed while HubSync applied the statement to GitHub', TG_TABLE_NAME)"))};
    for (const char *table : {"comment", "label", "release"})
        writable << idTableWriteThrough(QLatin1String(table));
    list << Migration{105, QStringLiteral("comment, label and release write-through"), writable};
    // Reactions: an INSERT names its subject; repository_id is the subject's when the INSERT leaves it out.
    QStringList reactions{QStringLiteral(
        "CREATE OR REPLACE FUNCTION hubsync.reaction_repository() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\n"
        "  EXECUTE format('SELECT repository_id FROM %I.%I WHERE id = $1', TG_TABLE_SCHEMA,\n"
        "    CASE NEW.subject_type WHEN 'comment' THEN 'comment' WHEN 'pull_request' THEN 'pull_request'"
        " ELSE 'issue' END)\n"
        "    INTO NEW.repository_id USING NEW.subject_id;\n"
        "  RETURN NEW;\n"
        "END $fn$")};
    reactions << idTableWriteThrough(QStringLiteral("reaction"))
              << QStringLiteral("CREATE TRIGGER hubsync_reaction_repository BEFORE INSERT ON {schema}.reaction"
                                " FOR EACH ROW WHEN (NEW.repository_id IS NULL)"
                                " EXECUTE FUNCTION hubsync.reaction_repository()");
    list << Migration{106, QStringLiteral("reaction write-through"), reactions};
    // Tables keyed by other columns than id: label links and refs.
    // The capture trigger takes only rows of the table the statement writes (hubsync.capture_table, set by
    // the proxy): a foreign key's cascade from label to issue_label is PostgreSQL's consequence of the
    // statement, not a change for GitHub (and fires at the statement's trigger depth).
    QStringList keyed{
        keyedApplyFunction(),
        QStringLiteral("CREATE OR REPLACE FUNCTION hubsync.capture_issue_change() RETURNS trigger LANGUAGE plpgsql"
                       " AS $fn$\n"
                       "BEGIN\n"
                       "  IF current_setting('hubsync.capture', true) = 'on' AND TG_TABLE_NAME ="
                       " coalesce(nullif(current_setting('hubsync.capture_table', true), ''), TG_TABLE_NAME) THEN\n"
                       "    INSERT INTO pg_temp.hubsync_capture (op, old_row, new_row) VALUES (TG_OP,\n"
                       "      CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN "
                       "to_jsonb(NEW) END);\n"
                       "  END IF;\n"
                       "  RETURN NULL;\n"
                       "END $fn$")};
    for (const char *table : {"issue_label", "pull_request_label", "ref"})
        keyed << writeThroughTriggers(QLatin1String(table));
    list << Migration{107, QStringLiteral("label link and ref write-through"), keyed};
    // Pull requests are only updated, but an INSERT gets placeholders too, so that it reaches the writer
    // and its refusal says what to do instead of naming a NOT NULL column.
    list << Migration{
        108, QStringLiteral("pull request write-through"),
        idTableWriteThrough(QStringLiteral("pull_request")) +
            QStringList{QStringLiteral("ALTER TABLE {schema}.pull_request ALTER COLUMN number SET DEFAULT 0")}};
    // Captured rows without raw: GitHub's whole object (tens of kB for a pull request, twice per row) is
    // never sent to GitHub and is replaced by GitHub's answer anyway, so copying it out of PostgreSQL and
    // parsing it cost the proxy time for nothing. A statement that changes raw still shows: the row then
    // carries raw = "(changed by the statement)", which the writers refuse as a column GitHub sets.
    list << Migration{
        109,
        QStringLiteral("write-through captures rows without raw"),
        {QStringLiteral(
            "CREATE OR REPLACE FUNCTION hubsync.capture_issue_change() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
            "DECLARE o jsonb; n jsonb;\n"
            "BEGIN\n"
            "  IF current_setting('hubsync.capture', true) IS DISTINCT FROM 'on' OR TG_TABLE_NAME <>\n"
            "      coalesce(nullif(current_setting('hubsync.capture_table', true), ''), TG_TABLE_NAME) THEN\n"
            "    RETURN NULL;\n"
            "  END IF;\n"
            "  IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;\n"
            "  IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;\n"
            "  IF n IS NOT NULL AND n ? 'raw' AND (n->'raw') IS DISTINCT FROM coalesce(o->'raw', 'null') THEN\n"
            "    n := jsonb_set(n, '{raw}', '\"(changed by the statement)\"');\n"
            "  ELSE\n"
            "    n := n - 'raw';\n"
            "  END IF;\n"
            "  INSERT INTO pg_temp.hubsync_capture (op, old_row, new_row) VALUES (TG_OP, o - 'raw', n);\n"
            "  RETURN NULL;\n"
            "END $fn$")}};
    // Discussions and their comments (GraphQL mutations); a comment's repository is its discussion's.
    QStringList discussions =
        idTableWriteThrough(QStringLiteral("discussion")) + idTableWriteThrough(QStringLiteral("discussion_comment"));
    discussions << QStringLiteral("ALTER TABLE {schema}.discussion ALTER COLUMN number SET DEFAULT 0")
                << QStringLiteral(
                       "CREATE OR REPLACE FUNCTION hubsync.discussion_comment_repository() RETURNS trigger LANGUAGE"
                       " plpgsql AS $fn$\n"
                       "BEGIN\n"
                       "  EXECUTE format('SELECT repository_id FROM %I.discussion WHERE id = $1', TG_TABLE_SCHEMA)\n"
                       "    INTO NEW.repository_id USING NEW.discussion_id;\n"
                       "  RETURN NEW;\n"
                       "END $fn$")
                << QStringLiteral(
                       "CREATE TRIGGER hubsync_comment_repository BEFORE INSERT ON {schema}.discussion_comment"
                       " FOR EACH ROW WHEN (NEW.repository_id IS NULL)"
                       " EXECUTE FUNCTION hubsync.discussion_comment_repository()");
    list << Migration{110, QStringLiteral("discussion write-through"), discussions};
    // raw compressed with lz4 where the server has it (PostgreSQL 14 and later, built with lz4): it is
    // several times faster than the default pglz at writing a pull request's raw (0.33 vs 0.9 ms per row),
    // which every sync write and write-through pays. Rows already stored keep their compression.
    QStringList lz4;
    for (const Collection &collection : collections()) {
        if (collection.hasRaw)
            lz4 << QStringLiteral(
                       "DO $do$ BEGIN EXECUTE 'ALTER TABLE {schema}.%1 ALTER COLUMN raw SET COMPRESSION lz4';"
                       " EXCEPTION WHEN others THEN NULL; END $do$")
                       .arg(collection.table == QLatin1String("user") ? QStringLiteral("\"user\"") : collection.table);
    }
    list << Migration{111, QStringLiteral("raw compressed with lz4"), lz4};
    return list;
}

} // namespace hubsync::catalog
