#include "catalog/schema.h"

#include "catalog/catalog.h"

namespace hubsync::catalog {

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
    return list;
}

} // namespace hubsync::catalog
