#include "proxy/writethrough.h"

#include "core/log.h"
#include "github/githubclient.h"
#include "proxy/writers/writers.h"
#include "store/pg.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace hubsync::proxy {

namespace {

const QString category = QStringLiteral("writethrough");

using Op = CapturedChange::Op;

} // namespace

// One statement's rows on their way to GitHub.
struct WriteRun {
    const TableWriter *writer = nullptr;
    QList<CapturedChange> changes;
    QString client;
    std::function<void(WriteOutcome)> done;
    int index = 0;
    QList<AppliedChange> applied;
    // Failure and compensation.
    protocol::ErrorFields error;
    QStringList notes; // what happened to rows 1..k-1
    int undoIndex = -1;

    // "issue #12 (id 34)", with its place in the statement when there are several rows.
    [[nodiscard]] QString rowName(int at) const {
        QString what = writer->describe(changes.at(at));
        if (changes.size() > 1)
            what = QStringLiteral("row %1 of %2, %3").arg(at + 1).arg(changes.size()).arg(what);
        return what;
    }
    // The answer to change `at`, created when a writer first reports on it.
    AppliedChange &answer(int at) {
        if (!applied.isEmpty() && applied.last().changeIndex == at)
            return applied.last();
        const CapturedChange &change = changes.at(at);
        AppliedChange answered;
        answered.table = writer->table();
        answered.op = change.op;
        answered.key = change.op == Op::Insert ? 0 : change.id();
        answered.repositoryId = change.repositoryId();
        answered.before = change.row();
        answered.changeIndex = at;
        applied << answered;
        return applied.last();
    }
};

QStringList writableTables() {
    QStringList tables;
    for (const auto &writer : tableWriters())
        tables << writer->table();
    return tables;
}

QStringList writableColumns(const QString &table) {
    const TableWriter *writer = tableWriter(table);
    return writer ? writer->writableColumns() : QStringList();
}

QStringList insertColumns(const QString &table) {
    const TableWriter *writer = tableWriter(table);
    return writer ? writer->insertColumns() : QStringList();
}

QStringList deletableTables() {
    QStringList tables;
    for (const auto &writer : tableWriters())
        if (writer->deletes())
            tables << writer->table();
    return tables;
}

QStringList writtenEvents() {
    return {QStringLiteral("issues"),       QStringLiteral("issue_comment"),
            QStringLiteral("label"),        QStringLiteral("release"),
            QStringLiteral("pull_request"), QStringLiteral("create"),
            QStringLiteral("delete"),       QStringLiteral("push"),
            QStringLiteral("discussion"),   QStringLiteral("discussion_comment")};
}

// WriteStep

WriteStep::WriteStep(WriteThrough &owner, std::shared_ptr<WriteRun> run, int index, QString repoPath)
    : m_owner(&owner)
    , m_alive(&owner)
    , m_run(std::move(run))
    , m_index(index)
    , m_repoPath(std::move(repoPath)) {}

const CapturedChange &WriteStep::change() const {
    return m_run->changes.at(m_index);
}

QString WriteStep::rowName() const {
    return m_run->rowName(m_index);
}

github::GitHubClient &WriteStep::github() const {
    return m_owner->m_client;
}

void WriteStep::log(const QString &operation, const QJsonObject &request, const github::GitHubResponse &response,
                    const QString &outcome) {
    if (m_alive.isNull())
        return;
    const QJsonObject body = response.graphqlData.isEmpty() ? response.json.object() : response.graphqlData;
    m_owner->log(*m_run, m_index, operation, request, response.httpStatus, body,
                 !outcome.isEmpty() ? outcome
                 : response.error   ? QStringLiteral("refused")
                                    : QStringLiteral("applied"),
                 response.error.message);
}

void WriteStep::written(const QJsonObject &object) {
    AppliedChange &answer = m_run->answer(m_index);
    answer.written = true;
    if (!object.isEmpty())
        answer.object = object;
}

void WriteStep::succeed(const QJsonObject &object) {
    if (m_alive.isNull())
        return;
    AppliedChange &answer = m_run->answer(m_index);
    answer.written = true;
    if (change().op != Op::Delete) {
        answer.object = object;
        answer.row = m_run->writer->rowFrom(object, answer.before);
    }
    ++m_run->index;
    m_owner->next(m_run);
}

void WriteStep::unchanged() {
    if (m_alive.isNull())
        return;
    AppliedChange &answer = m_run->answer(m_index);
    answer.row = change().oldRow; // without raw (migration 109): the trigger keeps the row's own
    ++m_run->index;
    m_owner->next(m_run);
}

void WriteStep::refuse(protocol::ErrorFields error) {
    if (!m_alive.isNull())
        m_owner->fail(m_run, std::move(error));
}

void WriteStep::refuse(const github::GitHubResponse &response, const QString &what, const QString &request,
                       const QString &hint) {
    const Error &e = response.error;
    refuse(errorFields(sqlStateFor(e), QStringLiteral("GitHub refused to %1: %2").arg(what, e.message),
                       QStringLiteral("HTTP %1 from %2.%3")
                           .arg(response.httpStatus)
                           .arg(request, e.detail.isEmpty() ? QString() : QStringLiteral(" errors: ") + e.detail),
                       hint.isEmpty() ? hintFor(e, *m_run->writer) : hint));
}

bool WriteStep::refusedAsStale(const QStringList &columns, const QJsonObject &object) {
    const QJsonObject current = m_run->writer->rowFrom(object, row());
    QStringList stale;
    for (const QString &column : columns)
        if (!sameColumnValue(column, current.value(column), change().oldRow.value(column)))
            stale << column;
    if (stale.isEmpty())
        return false;
    AppliedChange fresh;
    fresh.table = m_run->writer->table();
    fresh.op = CapturedChange::Op::Update;
    fresh.key = change().id();
    fresh.repositoryId = repositoryId();
    fresh.before = row();
    fresh.row = current;
    fresh.object = object;
    fresh.written = true; // GitHub's current version, stored as GitHub changed it
    m_owner->reconcile({fresh});
    refuse(errorFields("40001", QStringLiteral("%1 was changed on GitHub since it was synced").arg(rowName()),
                       QStringLiteral("GitHub now has a different %1; the table has been refreshed from GitHub.")
                           .arg(stale.join(QStringLiteral(", "))),
                       QStringLiteral("Read the row again and repeat the change if it still applies.")));
    return true;
}

void WriteStep::undone(const QString &note) {
    if (m_alive.isNull())
        return;
    m_run->notes << note;
    m_owner->compensate(m_run);
}

// WriteThrough

WriteThrough::WriteThrough(github::GitHubClient &client, Options options, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_options(std::move(options)) {}

WriteThrough::~WriteThrough() {
    flushLog();
}

const TableWriter *WriteThrough::writer(const QString &table) const {
    return tableWriter(table);
}

Error WriteThrough::validate(const TableWriter &writer, const QList<CapturedChange> &changes) const {
    for (const CapturedChange &change : changes)
        if (Error e = writer.validate(change))
            return e;
    return {};
}

void WriteThrough::apply(const QString &table, const QList<CapturedChange> &changes, const QString &client,
                         std::function<void(WriteOutcome)> done) {
    auto run = std::make_shared<WriteRun>();
    run->changes = changes;
    run->client = client;
    run->done = std::move(done);
    run->writer = writer(table);
    m_lookups.clear(); // rows may have changed since the last statement
    if (!run->writer) {
        WriteOutcome outcome;
        outcome.error = errorFields("0A000", QStringLiteral("%1 is not written through to GitHub").arg(table));
        run->done(outcome);
        return;
    }
    if (!m_db && open()) {
        fail(run,
             errorFields("58000", QStringLiteral("HubSync cannot record the write: its database connection failed")));
        return;
    }
    if (Error e = validate(*run->writer, changes)) {
        const QByteArray state = e.kind == Error::Kind::Usage ? QByteArrayLiteral("0A000") : QByteArrayLiteral("23502");
        fail(run,
             errorFields(
                 state, e.message,
                 QStringLiteral("Nothing was sent to GitHub. The statement changes %1 row(s).").arg(changes.size()),
                 QStringLiteral("Through the proxy, %1 rows take %2.")
                     .arg(table, run->writer->writableColumns().join(QStringLiteral(", ")))));
        return;
    }
    next(run);
}

void WriteThrough::next(const std::shared_ptr<WriteRun> &run) {
    if (run->index >= run->changes.size()) {
        finishRun(run);
        return;
    }
    Error error;
    QString path = repositoryPath(run->writer->repositoryOf(run->changes.at(run->index), *this), &error);
    if (error) {
        fail(run, errorFields(sqlStateFor(error), error.message));
        return;
    }
    run->writer->apply(std::make_shared<WriteStep>(*this, run, run->index, std::move(path)));
}

void WriteThrough::fail(const std::shared_ptr<WriteRun> &run, protocol::ErrorFields error) {
    run->error = std::move(error);
    logInfo(category, QStringLiteral("write refused: %1").arg(QString::fromUtf8(run->error.message())),
            {{QStringLiteral("sqlstate"), QString::fromLatin1(run->error.sqlState())}});
    run->undoIndex = int(run->applied.size()) - 1;
    compensate(run);
}

// Undoes rows already applied, newest first, then answers with the refusal and a DETAIL that says what
// became of each of them.
void WriteThrough::compensate(const std::shared_ptr<WriteRun> &run) {
    if (run->undoIndex < 0) {
        if (!run->notes.isEmpty()) {
            QByteArray detail = run->error.value(protocol::field::detail);
            if (!detail.isEmpty())
                detail += ' ';
            detail += run->notes.join(QStringLiteral("; ")).toUtf8() + '.';
            run->error.set(protocol::field::detail, detail);
        }
        WriteOutcome outcome;
        outcome.ok = false;
        outcome.error = run->error;
        run->done(outcome);
        return;
    }
    const AppliedChange applied = run->applied.at(run->undoIndex--);
    if (!applied.written || applied.changeIndex < 0 || applied.changeIndex >= run->changes.size()) {
        compensate(run);
        return;
    }
    Error lookupError;
    QString path = repositoryPath(run->writer->repositoryOf(run->changes.at(applied.changeIndex), *this), &lookupError);
    run->writer->undo(std::make_shared<WriteStep>(*this, run, applied.changeIndex, std::move(path)), applied);
}

void WriteThrough::finishRun(const std::shared_ptr<WriteRun> &run) {
    WriteOutcome outcome;
    outcome.ok = true;
    outcome.applied = run->applied;
    run->done(outcome);
}

void WriteThrough::log(const WriteRun &run, int index, const QString &operation, const QJsonObject &request,
                       int httpStatus, const QJsonObject &response, const QString &outcome, const QString &error) {
    if (!m_db)
        return;
    const CapturedChange &change = run.changes.at(std::clamp<int>(index, 0, int(run.changes.size()) - 1));
    const qint64 rowId =
        change.op == Op::Insert ? qint64(response.value(QStringLiteral("id")).toDouble()) : change.id();
    const qint64 repositoryId = change.repositoryId();
    const QString table = run.writer->table();
    const auto orNull = [](bool present, const QJsonValue &value) { return present ? value : QJsonValue(); };
    m_logQueue.append(QJsonObject{
        {QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
        {QStringLiteral("client"), run.client},
        {QStringLiteral("operation"), operation},
        {QStringLiteral("repository_id"), orNull(repositoryId > 0, QString::number(repositoryId))},
        {QStringLiteral("issue_id"), orNull(rowId > 0 && table == QLatin1String("issue"), QString::number(rowId))},
        {QStringLiteral("table_name"), table},
        {QStringLiteral("row_id"), orNull(rowId > 0, QString::number(rowId))},
        {QStringLiteral("request"), request},
        {QStringLiteral("http_status"), orNull(httpStatus > 0, httpStatus)},
        {QStringLiteral("response"), orNull(!response.isEmpty(), response)},
        {QStringLiteral("outcome"), outcome},
        {QStringLiteral("error"), orNull(!error.isEmpty(), error)}});
    if (m_logQueue.size() == 1)
        QMetaObject::invokeMethod(this, &WriteThrough::flushLog, Qt::QueuedConnection);
}

void WriteThrough::flushLog() {
    if (m_logQueue.isEmpty() || !m_db)
        return;
    const QByteArray rows = QJsonDocument(std::exchange(m_logQueue, {})).toJson(QJsonDocument::Compact);
    const Error e = m_db->run(
        QStringLiteral(
            "INSERT INTO hubsync.write_log (at, client, operation, repository_id, issue_id, table_name, row_id,"
            " request, http_status, response, outcome, error) SELECT at, client, operation, repository_id,"
            " issue_id, table_name, row_id, request, http_status, response, outcome, error FROM"
            " jsonb_to_recordset($1::jsonb) AS e(at timestamptz, client text, operation text, repository_id bigint,"
            " issue_id bigint, table_name text, row_id bigint, request jsonb, http_status int, response jsonb,"
            " outcome text, error text)"),
        {pg::Param(rows)}, QStringLiteral("recording write-through calls"));
    if (e)
        logWarning(category, e.message);
}

} // namespace hubsync::proxy
