// Drives the HubSync proxy's write-through with libpqxx 6 (C++ on top of libpq). exec_params() runs
// PQexecParams (Parse/Bind/Describe/Execute/Sync of the unnamed statement); a statement declared with
// connection::prepare() is prepared on its first exec_prepared() (PQprepare: Parse/Sync of a named statement)
// and then only bound and executed (PQexecPrepared). Notices reach every registered pqxx::errorhandler;
// connection::cancel_query() sends a CancelRequest (PQcancel). (pqxx::pipeline is no use for writes: it joins
// its queries into one query string, and the proxy takes one write to github.issue per query string.)
//
// Build: g++ -std=c++20 -o libpqxx_client libpqxx_client.cpp -lpqxx -lpq
// Usage: libpqxx_client writethrough DSN ISSUE_ID REPO_ID
// DSN is a libpq key=value string or a URL. Prints `FAIL: ...` per failed check and `OK libpqxx` when all
// passed; exits 1 on any failure, 2 on a wrong command line.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

namespace {

const std::string name = "libpqxx";
std::vector<std::string> failures;

bool check(bool condition, const std::string &what) {
    if (!condition) {
        failures.push_back(what);
        std::cout << "FAIL: " << what << std::endl;
    }
    return condition;
}

std::string firstLine(const std::string &text) {
    return text.substr(0, text.find('\n'));
}

// Collects the text of every notice (libpq's formatted message: "NOTICE:  ...").
class Notices : public pqxx::errorhandler {
public:
    explicit Notices(pqxx::connection_base &c)
        : pqxx::errorhandler(c) {}
    bool operator()(const char message[]) noexcept override {
        texts.emplace_back(message);
        return true;
    }
    std::vector<std::string> texts;
};

// Runs `action` in a fresh nontransaction (autocommit); a failure is a failed check (the scenario goes on)
// and gives no result.
std::optional<pqxx::result> attempt(pqxx::connection &c, const std::string &what,
                                    const std::function<pqxx::result(pqxx::transaction_base &)> &action) {
    try {
        pqxx::nontransaction tx(c);
        return action(tx);
    } catch (const pqxx::sql_error &e) {
        check(false, what + ": " + e.sqlstate() + " " + firstLine(e.what()));
    }
    return std::nullopt;
}

// Runs `sql` with one parameter, checks that it fails with `sqlstate`, and returns libpq's whole message
// (primary text, then DETAIL: and HINT: lines) or nothing.
template <typename Param>
std::optional<std::string> expectError(pqxx::connection &c, const std::string &sqlstate, const std::string &what,
                                       const std::string &sql, const Param &param) {
    try {
        pqxx::nontransaction tx(c);
        tx.exec_params(sql, param);
    } catch (const pqxx::sql_error &e) {
        check(e.sqlstate() == sqlstate,
              what + ": SQLSTATE " + e.sqlstate() + ", expected " + sqlstate + " (" + firstLine(e.what()) + ")");
        if (e.sqlstate() == sqlstate)
            return std::string(e.what());
        return std::nullopt;
    }
    check(false, what + ": no error");
    return std::nullopt;
}

// A list of ids as a PostgreSQL array literal, for = ANY($1::bigint[]).
std::string arrayLiteral(const std::vector<std::int64_t> &ids) {
    std::string text = "{";
    for (std::size_t i = 0; i < ids.size(); ++i)
        text += (i ? "," : "") + std::to_string(ids[i]);
    return text + "}";
}

std::string rows(const std::optional<pqxx::result> &r) {
    return r ? std::to_string(r->affected_rows()) : std::string("-");
}

void writeThrough(const std::string &dsn, std::int64_t issueId, std::int64_t repoId) {
    pqxx::connection c(dsn);
    Notices notices(c);
    const auto query = [&c](const std::string &sql, auto... params) {
        pqxx::nontransaction tx(c);
        return tx.exec_params(sql, params...);
    };
    const auto titleAndState = [&] {
        const pqxx::result r = query("SELECT title, state FROM github.issue WHERE id = $1", issueId);
        return r.empty() ? std::string("none") : r[0][0].as<std::string>() + "|" + r[0][1].as<std::string>();
    };

    // a) the issue is there.
    const pqxx::result found = query("SELECT title FROM github.issue WHERE id = $1", issueId);
    check(found.size() == 1,
          "SELECT of issue " + std::to_string(issueId) + " gives " + std::to_string(found.size()) + " rows");

    // b) an UPDATE GitHub accepts.
    const std::string accepted = name + " accepted";
    auto r = attempt(c, "accepted UPDATE", [&](pqxx::transaction_base &tx) {
        return tx.exec_params("UPDATE github.issue SET title = $1 WHERE id = $2", accepted, issueId);
    });
    check(r && r->affected_rows() == 1, "accepted UPDATE: " + rows(r) + " rows");
    const std::string before = titleAndState();
    check(before.rfind(accepted + "|", 0) == 0, "title after the accepted UPDATE: " + before);

    // c) an UPDATE GitHub rejects (422 -> 23514) leaves the row as it was.
    const auto error =
        expectError(c, "23514", "rejected UPDATE", "UPDATE github.issue SET state = 'bogus' WHERE id = $1", issueId);
    if (error) {
        check(error->find("DETAIL:") != std::string::npos && error->find("422") != std::string::npos,
              "rejection DETAIL names 422: " + *error);
        check(error->find("HINT:") != std::string::npos, "rejection has a HINT");
    }
    const std::string after = titleAndState();
    check(after == before, "row unchanged after the rejection: " + after + ", was " + before);

    // d) INSERT ... RETURNING gets GitHub's id and number (placeholders would be negative).
    r = attempt(c, "INSERT RETURNING", [&](pqxx::transaction_base &tx) {
        return tx.exec_params("INSERT INTO github.issue (repository_id, title, body) VALUES ($1, $2, 'body') "
                              "RETURNING id, number",
                              repoId, name + " new");
    });
    std::int64_t createdId = 0;
    std::int64_t createdNumber = 0;
    if (r && r->size() == 1) {
        createdId = (*r)[0][0].as<std::int64_t>();
        createdNumber = (*r)[0][1].as<std::int64_t>();
    }
    check(createdId > 0 && createdNumber > 0,
          "INSERT RETURNING id " + std::to_string(createdId) + ", number " + std::to_string(createdNumber));

    // e) several rows: one INSERT of two rows, both retitled by one prepared statement executed twice, then
    // one DELETE of both with an array parameter.
    r = attempt(c, "two-row INSERT", [&](pqxx::transaction_base &tx) {
        return tx.exec_params("INSERT INTO github.issue (repository_id, title, body) "
                              "VALUES ($1, $2, 'body'), ($1, $3, 'body') RETURNING id",
                              repoId, name + " pair 1", name + " pair 2");
    });
    std::vector<std::int64_t> ids;
    for (const pqxx::row &row : r.value_or(pqxx::result()))
        ids.push_back(row[0].as<std::int64_t>());
    check(ids.size() == 2 && std::all_of(ids.begin(), ids.end(), [](std::int64_t id) { return id > 0; }),
          "two-row INSERT RETURNING id: " + arrayLiteral(ids));
    if (ids.size() == 2) {
        const std::vector<std::string> retitled{name + " batch 1", name + " batch 2"};
        c.prepare("retitle", "UPDATE github.issue SET title = $1 WHERE id = $2");
        for (std::size_t i = 0; i < ids.size(); ++i) {
            r = attempt(c, "prepared UPDATE run " + std::to_string(i + 1),
                        [&](pqxx::transaction_base &tx) { return tx.exec_prepared("retitle", retitled[i], ids[i]); });
            check(r && r->affected_rows() == 1,
                  "prepared UPDATE run " + std::to_string(i + 1) + ": " + rows(r) + " rows");
        }
        std::string titles;
        for (const pqxx::row &row :
             query("SELECT title FROM github.issue WHERE id = ANY($1::bigint[]) ORDER BY id", arrayLiteral(ids)))
            titles += row[0].as<std::string>() + "|";
        check(titles == retitled[0] + "|" + retitled[1] + "|", "titles after the prepared UPDATEs: " + titles);

        r = attempt(c, "two-row DELETE", [&](pqxx::transaction_base &tx) {
            return tx.exec_params("DELETE FROM github.issue WHERE id = ANY($1::bigint[])", arrayLiteral(ids));
        });
        check(r && r->affected_rows() == 2, "two-row DELETE: " + rows(r) + " rows");
        const auto left =
            query("SELECT count(*) FROM github.issue WHERE id = ANY($1::bigint[])", arrayLiteral(ids))[0][0].as<int>();
        check(left == 0, std::to_string(left) + " of the two deleted issues still there");
    }

    // f) DELETE of the issue created in d).
    if (createdId > 0) {
        r = attempt(c, "DELETE", [&](pqxx::transaction_base &tx) {
            return tx.exec_params("DELETE FROM github.issue WHERE id = $1", createdId);
        });
        check(r && r->affected_rows() == 1, "DELETE: " + rows(r) + " rows");
        const auto left = query("SELECT count(*) FROM github.issue WHERE id = $1", createdId)[0][0].as<int>();
        check(left == 0, "deleted issue still there");
    }

    // g) inside BEGIN ... ROLLBACK (a pqxx::work aborted) the GitHub change escapes the rollback, and a
    // NOTICE says so.
    std::vector<std::string> duringUpdate;
    try {
        pqxx::work tx(c);
        notices.texts.clear();
        tx.exec_params("UPDATE github.issue SET body = $1 WHERE id = $2", name + " rolled back", issueId);
        duringUpdate = notices.texts;
        tx.abort();
    } catch (const pqxx::sql_error &e) {
        check(false, "UPDATE in a block: " + e.sqlstate() + " " + firstLine(e.what()));
    }
    std::string shown;
    bool mentionsGitHub = false;
    for (std::string text : duringUpdate) {
        shown += firstLine(text) + "; ";
        std::transform(text.begin(), text.end(), text.begin(), [](unsigned char ch) { return std::tolower(ch); });
        mentionsGitHub = mentionsGitHub || text.find("github") != std::string::npos;
    }
    check(mentionsGitHub, "NOTICE about GitHub during the UPDATE in a block: " + shown);

    // h) cancel from another thread after a second (a CancelRequest with the BackendKeyData the proxy handed
    // out); the connection stays usable.
    const auto started = std::chrono::steady_clock::now();
    std::thread canceller([&c] {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        c.cancel_query();
    });
    try {
        pqxx::nontransaction tx(c);
        tx.exec("SELECT pg_sleep(30)");
        check(false, "cancel during pg_sleep: no error");
    } catch (const pqxx::sql_error &e) {
        check(e.sqlstate() == "57014", "cancel during pg_sleep: SQLSTATE " + e.sqlstate() + ", expected 57014");
    }
    canceller.join();
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    check(elapsed < 6, "cancel took " + std::to_string(elapsed) + " s");
    check(query("SELECT 'still usable'")[0][0].as<std::string>() == "still usable",
          "connection usable after the cancel");
}

} // namespace

int main(int argc, char *argv[]) {
    std::int64_t issueId = 0;
    std::int64_t repoId = 0;
    try {
        if (argc == 5 && std::string(argv[1]) == "writethrough") {
            issueId = std::stoll(argv[3]);
            repoId = std::stoll(argv[4]);
        }
    } catch (const std::exception &) {
        issueId = 0;
    }
    if (issueId == 0) {
        std::cout << "usage: libpqxx_client writethrough DSN ISSUE_ID REPO_ID" << std::endl;
        return 2;
    }
    try {
        writeThrough(argv[2], issueId, repoId);
    } catch (const pqxx::sql_error &e) {
        check(false, "unexpected " + e.sqlstate() + " " + firstLine(e.what()));
    } catch (const std::exception &e) {
        check(false, std::string("unexpected ") + firstLine(e.what()));
    }
    if (failures.empty())
        std::cout << "OK " << name << std::endl;
    else
        std::cout << name << ": " << failures.size() << " failures" << std::endl;
    return failures.empty() ? 0 : 1;
}
