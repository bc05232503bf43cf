// Drives the HubSync proxy with pgJDBC, in its two protocol modes:
// * default (preferQueryMode=extended, prepareThreshold=5): everything goes through Parse/Bind/Execute with
//   the unnamed statement until one PreparedStatement has run prepareThreshold times; from then on it uses a
//   named server-side statement (S_1, ...) and sends only Bind/Execute;
// * preferQueryMode=simple: parameters are interpolated by the driver and sent as simple Query messages.
//
// Usage (Java 17 single-file source launch, no build step):
//   java -cp /usr/share/java/postgresql.jar PgJdbcClient.java DSN                                pass-through
//   java -cp /usr/share/java/postgresql.jar PgJdbcClient.java writethrough DSN ISSUE_ID REPO_ID  write-through
// DSN is a libpq key=value string (host, port, dbname, user, password, connect_timeout). Each scenario runs
// once per mode. Prints `FAIL: ...` per failed check and `OK pgjdbc` when all passed; exits 1 on any failure.

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGStatement;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

public class PgJdbcClient {
    private static final List<String> failures = new ArrayList<>();

    private final String mode; // "extended" or "simple"
    private final String name; // prefix of check messages and of the titles written
    private final Connection conn;

    private PgJdbcClient(String dsn, String mode) throws SQLException {
        this.mode = mode;
        this.name = mode.equals("simple") ? "pgjdbc simple" : "pgjdbc";
        this.conn = connect(dsn, mode);
    }

    static void check(boolean condition, String what) {
        if (!condition) {
            failures.add(what);
            System.out.println("FAIL: " + what);
        }
    }

    private void ok(boolean condition, String what) { check(condition, name + ": " + what); }

    // libpq's key=value conninfo (values optionally single-quoted) as a JDBC URL and properties.
    static Connection connect(String dsn, String mode) throws SQLException {
        Map<String, String> keys = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(\\w+)\\s*=\\s*(?:'((?:[^'\\\\]|\\\\.)*)'|(\\S+))").matcher(dsn);
        while (m.find())
            keys.put(m.group(1), m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3));
        String url = "jdbc:postgresql://" + keys.getOrDefault("host", "127.0.0.1") + ":" +
                     keys.getOrDefault("port", "5432") + "/" + keys.getOrDefault("dbname", "postgres");
        Properties props = new Properties();
        props.setProperty("user", keys.getOrDefault("user", System.getProperty("user.name")));
        if (keys.containsKey("password"))
            props.setProperty("password", keys.get("password"));
        props.setProperty("connectTimeout", keys.getOrDefault("connect_timeout", "10"));
        props.setProperty("sslmode", "disable");
        props.setProperty("preferQueryMode", mode);
        return DriverManager.getConnection(url, props);
    }

    // The server's error of `e` (SQLSTATE, message, DETAIL, HINT) or null for a client-side failure.
    static ServerErrorMessage serverError(SQLException e) {
        return e instanceof PSQLException ? ((PSQLException)e).getServerErrorMessage() : null;
    }

    interface SqlAction {
        void run() throws SQLException;
    }

    // Runs `action`, checks that it fails with `sqlState`, and returns the server's error (or null).
    private ServerErrorMessage expectError(String sqlState, String what, SqlAction action) {
        try {
            action.run();
            ok(false, what + ": no error");
            return null;
        } catch (SQLException e) {
            ok(sqlState.equals(e.getSQLState()),
               what + ": SQLSTATE " + e.getSQLState() + ", expected " + sqlState + " (" + e.getMessage() + ")");
            return serverError(e);
        }
    }

    private String one(String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < params.length; ++i)
                ps.setObject(i + 1, params[i]);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next())
                    return null;
                String value = rs.getString(1);
                ok(!rs.next(), "one row expected from " + sql);
                return value;
            }
        }
    }

    private int namedStatements() throws SQLException {
        // pgJDBC names its server-side statements S_1, S_2, ...
        return Integer.parseInt(one("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'S\\_%'"));
    }

    // pg_sleep(30) cancelled after a second by Statement.cancel() from another thread: pgJDBC sends a
    // CancelRequest on a new connection with the BackendKeyData it got from the proxy.
    private void checkCancel() throws SQLException {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try (Statement st = conn.createStatement()) {
            timer.schedule(() -> {
                try {
                    st.cancel();
                } catch (SQLException e) {
                    ok(false, "Statement.cancel(): " + e.getMessage());
                }
            }, 1, TimeUnit.SECONDS);
            long started = System.nanoTime();
            expectError("57014", "cancel during pg_sleep", () -> st.execute("SELECT pg_sleep(30)"));
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            ok(elapsedMs < 6000, "cancel took " + elapsedMs + " ms");
        } finally {
            timer.shutdownNow();
        }
        ok("still usable".equals(one("SELECT 'still usable'")), "connection usable after the cancel");
    }

    private void passThrough() throws SQLException {
        conn.setAutoCommit(true);
        ok("42|it's".equals(one("SELECT (?::int + 1) || '|' || ?::text", 41, "it's")), "parameterised SELECT");
        ok("bug".equals(one("SELECT name FROM github.repository WHERE id = ?", 1)), "SELECT of github.repository");

        // One PreparedStatement run past prepareThreshold: from the 5th run on a named server-side statement.
        int namedBefore = namedStatements();
        try (PreparedStatement ps = conn.prepareStatement("SELECT ?::int * 2")) {
            for (int i = 0; i < 8; ++i) {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    ok(rs.next() && rs.getInt(1) == i * 2, "prepared run " + i);
                }
            }
            // (isUseServerPrepare() only says that the threshold was reached, whatever the mode.)
            if (mode.equals("simple")) {
                ok(namedStatements() == namedBefore, "simple mode created a named statement");
            } else {
                ok(ps.unwrap(PGStatement.class).isUseServerPrepare(), "statement switched to server-side prepare");
                ok(namedStatements() > namedBefore, "a named S_n statement exists on the server");
            }
        }

        // Refusals: read-only synced table through a Statement and a PreparedStatement; issue writes while
        // write-through is off.
        try (Statement st = conn.createStatement()) {
            ServerErrorMessage e =
                expectError("25006", "UPDATE github.repository",
                            () -> st.executeUpdate("UPDATE github.repository SET name = 'x' WHERE id = 1"));
            ok(e != null && e.getDetail() != null && e.getHint() != null, "refusal has a DETAIL and a HINT");
        }
        try (PreparedStatement ps = conn.prepareStatement("UPDATE github.repository SET name = ? WHERE id = ?")) {
            ps.setString(1, "x");
            ps.setInt(2, 1);
            for (int i = 0; i < 6; ++i) // also past prepareThreshold: a refused Parse of a named statement
                expectError("25006", "prepared UPDATE github.repository run " + i, ps::executeUpdate);
        }
        try (PreparedStatement ps = conn.prepareStatement("UPDATE github.issue SET title = ? WHERE id = ?")) {
            ps.setString(1, "x");
            ps.setInt(2, 1);
            ServerErrorMessage e = expectError("0A000", "UPDATE github.issue", ps::executeUpdate);
            ok(e != null && e.getMessage().contains("write-through"), "issue refusal names write-through");
        }
        ok("bug,docs".equals(one("SELECT string_agg(name, ',' ORDER BY id) FROM github.repository")),
           "github.repository unchanged after the refusals");

        // Errors of the server itself in the extended protocol: at Bind (bad parameter) and at Execute.
        try (PreparedStatement ps = conn.prepareStatement("SELECT ?::int")) {
            ps.setString(1, "not a number");
            expectError("22P02", "bad parameter", ps::executeQuery);
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT 10 / ?::int")) {
            for (int i = 0; i < 7; ++i) { // fails on the named statement too, then works again
                ps.setInt(1, i % 2 == 0 ? 0 : 5);
                if (i % 2 == 0) {
                    expectError("22012", "division by zero run " + i, ps::executeQuery);
                } else {
                    try (ResultSet rs = ps.executeQuery()) {
                        ok(rs.next() && rs.getInt(1) == 2, "statement usable after its failed run " + i);
                    }
                }
            }
        }

        // BEGIN ... ROLLBACK (pgJDBC sends BEGIN itself with autocommit off); a refusal aborts the block.
        conn.setAutoCommit(false);
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO notes (body) VALUES (?)")) {
            ps.setString(1, name + " rollback");
            ok(ps.executeUpdate() == 1, "INSERT in a transaction");
        }
        conn.rollback();
        try (Statement st = conn.createStatement()) {
            st.execute("SELECT 1");
            expectError("25006", "refusal in a block", () -> st.execute("DELETE FROM github.repository"));
            expectError("25P02", "statement after a refusal in a block", () -> st.execute("SELECT 1"));
        }
        conn.rollback();
        conn.setAutoCommit(true);
        ok("0".equals(one("SELECT count(*) FROM notes WHERE body = ?", name + " rollback")),
           "ROLLBACK undid the INSERT");

        checkCancel();
    }

    private String[] titleAndState(long issueId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT title, state FROM github.issue WHERE id = ?")) {
            ps.setLong(1, issueId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : null;
            }
        }
    }

    private void writeThrough(long issueId, long repoId) throws SQLException {
        conn.setAutoCommit(true);
        // a) the issue is there.
        ok(titleAndState(issueId) != null, "SELECT of issue " + issueId + " gives a row");

        // b) + h) an UPDATE GitHub accepts, through one PreparedStatement run 7 times: from the 5th run on
        // (extended mode) over a named server-side statement.
        String accepted = name + " accepted";
        try (PreparedStatement ps = conn.prepareStatement("UPDATE github.issue SET title = ? WHERE id = ?")) {
            ps.setLong(2, issueId);
            for (int i = 6; i >= 0; --i) { // the last run writes the plain title
                String title = i == 0 ? accepted : accepted + " " + i;
                ps.setString(1, title);
                ok(ps.executeUpdate() == 1, "accepted UPDATE (" + title + ") affects 1 row");
                String[] row = titleAndState(issueId);
                ok(row != null && title.equals(row[0]),
                   "title after the accepted UPDATE: " + (row == null ? null : row[0]));
            }
            if (mode.equals("extended"))
                ok(ps.unwrap(PGStatement.class).isUseServerPrepare(), "the UPDATE switched to server-side prepare");
        }
        String[] before = titleAndState(issueId);

        // c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
        try (PreparedStatement ps = conn.prepareStatement("UPDATE github.issue SET state = 'bogus' WHERE id = ?")) {
            ps.setLong(1, issueId);
            ServerErrorMessage e = expectError("23514", "rejected UPDATE", ps::executeUpdate);
            ok(e != null && e.getMessage() != null && !e.getMessage().isEmpty(), "rejection has a message");
            ok(e != null && e.getDetail() != null && e.getDetail().contains("422"),
               "rejection DETAIL names 422: " + (e == null ? null : e.getDetail()));
            ok(e != null && e.getHint() != null, "rejection has a HINT");
        }
        String[] after = titleAndState(issueId);
        ok(after != null && before != null && after[0].equals(before[0]) && after[1].equals(before[1]),
           "row unchanged after the rejection");

        // d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
        long newId = 0;
        try (PreparedStatement ps = conn.prepareStatement(
                 "INSERT INTO github.issue (repository_id, title, body) VALUES (?, ?, 'body') RETURNING id, number")) {
            ps.setLong(1, repoId);
            ps.setString(2, name + " new");
            try (ResultSet rs = ps.executeQuery()) {
                ok(rs.next(), "INSERT RETURNING gives a row");
                newId = rs.getLong(1);
                long number = rs.getLong(2);
                ok(newId > 0 && number > 0, "INSERT RETURNING id " + newId + ", number " + number);
            }
        }

        // e) DELETE of the new issue.
        if (newId > 0) {
            try (PreparedStatement ps = conn.prepareStatement("DELETE FROM github.issue WHERE id = ?")) {
                ps.setLong(1, newId);
                ok(ps.executeUpdate() == 1, "DELETE affects 1 row");
            }
            ok("0".equals(one("SELECT count(*) FROM github.issue WHERE id = ?", newId)), "deleted issue gone");
        }

        // f) inside BEGIN ... ROLLBACK the GitHub change escapes the rollback, and a NOTICE says so.
        conn.setAutoCommit(false);
        try (PreparedStatement ps = conn.prepareStatement("UPDATE github.issue SET body = ? WHERE id = ?")) {
            ps.setString(1, name + " rolled back");
            ps.setLong(2, issueId);
            ps.executeUpdate();
            boolean mentionsGitHub = false;
            List<String> notices = new ArrayList<>();
            for (SQLWarning w = ps.getWarnings(); w != null; w = w.getNextWarning()) {
                notices.add(w.getMessage());
                mentionsGitHub |= w.getMessage().toLowerCase().contains("github");
            }
            ok(mentionsGitHub, "NOTICE about GitHub during the UPDATE in a block: " + notices);
        }
        conn.rollback();
        conn.setAutoCommit(true);

        // g) cancel.
        checkCancel();
    }

    public static void main(String[] args) throws Exception {
        boolean writethrough = args.length == 4 && args[0].equals("writethrough");
        if (!writethrough && (args.length != 1 || args[0].equals("writethrough"))) {
            System.out.println("usage: PgJdbcClient.java DSN | writethrough DSN ISSUE_ID REPO_ID");
            System.exit(2);
        }
        for (String mode : new String[] {"extended", "simple"}) {
            try {
                PgJdbcClient client = new PgJdbcClient(writethrough ? args[1] : args[0], mode);
                try (Connection c = client.conn) {
                    if (writethrough)
                        client.writeThrough(Long.parseLong(args[2]), Long.parseLong(args[3]));
                    else
                        client.passThrough();
                }
            } catch (SQLException e) {
                check(false, mode + ": unexpected " + e.getSQLState() + " " + e.getMessage());
            }
        }
        System.out.println(failures.isEmpty() ? "OK pgjdbc" : "pgjdbc: " + failures.size() + " failures");
        System.exit(failures.isEmpty() ? 0 : 1);
    }
}
