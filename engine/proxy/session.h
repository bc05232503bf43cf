#pragma once

// One client connection of the proxy and its own connection to PostgreSQL. See proxyserver.h for the
// design; the implementation is split by concern:
//   session.cpp          lifecycle, sockets, buffering and back-pressure
//   session_startup.cpp  SSLRequest/GSSENCRequest/CancelRequest, TLS, StartupMessage, keys
//   session_frontend.cpp client messages: the gate, refusals, extended-protocol bookkeeping
//   session_backend.cpp  server messages: ReadyForQuery, COPY, rewriting refusals

#include "proxy/backendstream.h"
#include "proxy/bytestream.h"
#include "proxy/classifier.h"
#include "proxy/protocol/errorfields.h"
#include "proxy/protocol/framing.h"
#include "proxy/protocol/messages_backend.h"
#include "proxy/serverpool.h"
#include "proxy/statementgate.h"
#include "proxy/upstream.h"
#include "proxy/writethrough.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

#include <functional>
#include <memory>
#include <optional>

class QTimer;

namespace hubsync::proxy {

// Limits and timeouts every session of a server shares.
struct SessionLimits final {
    // Back-pressure: a side is not read while the other side's unsent bytes exceed this.
    qint64 maxPendingBytes = 1024 * 1024;
    // The largest client message (payload bytes); a bigger one is a protocol violation (FATAL 08P01).
    qint32 maxClientMessageLength = protocol::defaultMaxMessageLength;
    int connectTimeoutMs = 10000;
    int startupTimeoutMs = 60000; // like authentication_timeout: from accept to the first ReadyForQuery
    int idleTimeoutMs = 0;        // 0 = never; otherwise close idle sessions with FATAL 57P05
};

// What a session needs from the server that owns it.
class SessionHost {
public:
    virtual ~SessionHost() = default;

    [[nodiscard]] virtual const UpstreamTarget &upstream() const = 0;
    [[nodiscard]] virtual const SessionLimits &limits() const = 0;
    virtual StatementClassifier &classifier() = 0;
    virtual StatementGate &gate() = 0;
    // Applies writes to GitHub tables; nullptr when write-through is off (such writes are refused then).
    virtual WriteThrough *writeThrough() = 0;
    // TLS toward clients: true when a certificate is configured and the socket is a QSslSocket.
    [[nodiscard]] virtual bool tlsAvailable() const = 0;
    // The epoll set the sessions' sockets share (nullptr where there is none; see bytestream.h).
    virtual StreamPoller *streamPoller() = 0;
    // Server connections kept between clients (see serverpool.h); nullptr when pooling is off.
    virtual ServerPool *serverPool() = 0;

    // Counts a session against max connections once it sent a StartupMessage; false = refuse (53300).
    virtual bool admitSession() = 0;
    // The keys handed to the client for the server's BackendKeyData (same pid, a secret of our own).
    virtual protocol::BackendKeyData registerBackendKey(const protocol::BackendKeyData &upstream) = 0;
    virtual void releaseBackendKey(const protocol::BackendKeyData &client) = 0;
    virtual void forwardCancel(qint32 processId, const QByteArray &secretKey) = 0;
    virtual void countRefusal() = 0;
    virtual void countBytes(qint64 fromClients, qint64 toClients) = 0;
};

class Session final : public QObject {
    Q_OBJECT
public:
    enum class State {
        Startup,        // waiting for the StartupMessage (SSLRequest/GSSENCRequest answered on the way)
        Authenticating, // relaying the authentication exchange until the first ReadyForQuery
        Ready,          // idle: every Query and Sync has been answered
        InQuery,        // a simple Query is running
        Extended,       // extended-protocol messages sent, not yet answered up to their Sync
        Copy,           // inside COPY FROM STDIN / TO STDOUT
        Closing,        // flushing the last bytes, then both connections close
    };
    Q_ENUM(State)

    // Takes ownership of `client` (a SocketStream, or a DeviceStream over a QSslSocket when TLS is configured).
    Session(quint64 id, ByteStream *client, SessionHost &host, QObject *parent = nullptr);
    ~Session() override;
    Q_DISABLE_COPY_MOVE(Session)

    [[nodiscard]] quint64 id() const { return m_id; }
    [[nodiscard]] State state() const { return m_state; }
    [[nodiscard]] protocol::TransactionStatus transactionStatus() const { return m_transactionStatus; }
    [[nodiscard]] bool isAdmitted() const { return m_admitted; }
    // Bytes produced for one side and not yet taken by its socket's kernel buffer (back-pressure bound).
    [[nodiscard]] qint64 pendingToClient() const;
    [[nodiscard]] qint64 pendingToUpstream() const;
    // The classification of a named prepared statement, parsed once at its Parse (nullptr if unknown).
    [[nodiscard]] const Classification *preparedStatement(const QByteArray &name) const;

Q_SIGNALS:
    // Both connections are closed; the owner deletes the session.
    void finished(quint64 id);

private:
    // session.cpp
    void setState(State state);
    void pumpClient();
    void pumpUpstream();
    void flushToClient();
    void flushToUpstream();
    static void recycle(QByteArray &buffer);
    void touch();
    void onTimeout();
    void sendToClient(const QByteArray &bytes) { m_toClient += bytes; }
    void sendToUpstream(const QByteArray &bytes) { m_toUpstream += bytes; }
    // Sends FATAL with `sqlState` to the client (if it can still read) and closes both sides.
    void fatal(QByteArrayView sqlState, const QString &message, const QString &detail = {});
    void closeGracefully();
    void finish();
    void releaseKey();
    void onClientDisconnected();
    void onUpstreamDisconnected();
    void onUpstreamFailed(const QString &message);

    // session_startup.cpp
    void handleStartupFrame(const protocol::Frame &frame);
    void answerSslRequest();
    void startUpstream(const QByteArray &startupPacket);
    void attachUpstream();
    void adoptServer(PooledServer server);
    bool parkServer();
    void onUpstreamConnected();
    void rewriteBackendKey(QByteArrayView payload, QByteArray &out);
    void registerKey(const protocol::BackendKeyData &serverKey);

    // session_frontend.cpp
    void handleClientFrame(const protocol::Frame &frame);
    void handleQuery(const protocol::Frame &frame);
    void handleParse(const protocol::Frame &frame);
    bool trackExtended(const protocol::Frame &frame);
    GateDecision decide(const ClassifiedStatement &statement);
    QByteArray nextRefusalToken();
    static QByteArray refusedSql(const QByteArray &token);
    void refuse(const protocol::Frame &replacement, const QByteArray &token, const protocol::ErrorFields &error);
    void refuseExecute(const protocol::ErrorFields &error);
    void malformed(const QString &message);
    void relayFromUpstream(const QByteArray &chunk);

    // session_writethrough.cpp
    // A portal that writes to a GitHub table: the Bind that made it and the Parse of its statement, so that the
    // write's second run can bind it again even after the client parsed the statement's name anew.
    struct WriteBind {
        protocol::Frame bind;
        protocol::Frame parse;
    };
    struct WtRun {
        QList<protocol::Frame> frames; // simple: the Query; extended: the segment without its Sync
        bool simple = true;
        bool owesReady = true; // the client's Query/Sync gets its ReadyForQuery from the session
        bool started = false;
        bool began = false;        // the session opened the transaction block (the client was idle)
        bool beginPending = false; // began, but the BEGIN goes out with the write's set-up
        protocol::TransactionStatus status = protocol::TransactionStatus::Idle;
        int pos = 0;
        // Extended: the Executes that write to a GitHub table, by index in `frames`, each with the Bind that made
        // its portal (the write runs twice, so the portal is bound again for the second run).
        QHash<qsizetype, WriteBind> writes;
        // Earlier messages of the client's segment went to the server before this run (a Flush sent
        // them): their answers may still be on the way and they share the segment's transaction.
        bool partlySent = false;
        bool aborted = false;     // the segment failed (wtAbort)
        bool commitAtEnd = false; // no Sync follows (a Query does): the session's block commits anyway
        // Portals whose write ran in this run: a later Execute of one (the rest of a PortalSuspended
        // result) fetches rows and writes nothing, until a Bind makes the portal anew.
        QSet<QByteArray> ranPortals;
        QList<AppliedChange> applied; // accepted by GitHub in this run
        bool holding = false;         // counted in WriteThrough::beginWrite()
        // Nothing of the segment follows this run (a Sync or a Query ended it): the session's block commits.
        [[nodiscard]] bool endsSegment() const { return owesReady || commitAtEnd; }
    };
    struct InternalStatement {
        QByteArray sql;
        QList<std::optional<QByteArray>> params;
    };
    // A batch of internal steps sent at once (one round trip); step i's answers are those up to its
    // ReadyForQuery. An error in one step puts the transaction block into the aborted state, so the
    // steps after it fail harmlessly and only the first failing step's answer counts.
    using WtSteps = QList<QList<protocol::Frame>>;
    struct WtBatch {
        QByteArray wire;
        qsizetype steps = 0;
        // Appends one step (messages that end in exactly one ReadyForQuery) and returns its index.
        qsizetype add(const QByteArray &step) {
            wire += step;
            return steps++;
        }
    };
    // The steps a write's first batch may carry before its own: the session's BEGIN, and the client's
    // messages of the segment up to the writing Execute (-1: not in this batch).
    struct WtPreSteps {
        qsizetype tables = -1; // the capture/answer temp tables, created outside the block
        qsizetype begin = -1;
        qsizetype group = -1;
    };
    using WtContinuation = std::function<void(const WtSteps &)>;
    [[nodiscard]] bool writeThroughBusy() const;
    [[nodiscard]] bool isWriteThroughStatement(const QByteArray &statement) const;
    void holdFrame(const protocol::Frame &frame);
    void drainHeld();
    void forwardExtended(const protocol::Frame &frame);
    void forwardSegment();
    void beginWriteThrough(QList<protocol::Frame> frames, bool simple, bool owesReady,
                           QHash<qsizetype, WriteBind> writes = {}, bool commitAtEnd = false);
    void wtBridge();
    // Runs the buffered segment through write-through (see beginWriteThrough()).
    void runSegment(bool owesReady, bool commitAtEnd = false);
    void tryStartWriteThrough();
    static QList<InternalStatement> tempTableStatements();
    QByteArray internalStatements(const QList<InternalStatement> &statements);
    void forgetInternalState();
    const QByteArray &wtName();
    // parsedStatement: the statement name of a Parse; nullptr for a simple Query.
    void noteClientSql(QByteArrayView sql, const QByteArray *parsedStatement = nullptr);
    void noteClientBind(const QByteArray &statement);
    void wtSend(const WtBatch &batch, WtContinuation then);
    bool wtPreSteps(const WtSteps &steps, WtPreSteps pre);
    [[nodiscard]] bool isWriteAt(qsizetype pos) const;
    void wtFeed(const QByteArray &chunk);
    void wtRelay(const QList<protocol::Frame> &messages, bool secondRun);
    void wtRelayErrors(const QList<protocol::Frame> &messages);
    void wtNext();
    QByteArray rebindWire(const WriteBind &write);
    void wtWrite(WtBatch batch, WtPreSteps pre, const protocol::Frame &statement, const WriteBind &bind);
    QString writtenTable(const protocol::Frame &queryOrParse);
    void wtCapture(const QList<protocol::Frame> &captured, const QString &table, const QByteArray &realRun,
                   bool extended);
    void wtApplied(const WriteOutcome &outcome, const QByteArray &realRun, bool extended);
    void wtRealRun(const QByteArray &realRun, bool extended, const QList<AppliedChange> &applied);
    void wtComplete();
    void wtCommitted(const QList<protocol::Frame> &answer);
    void wtAbort(bool forceAbort);
    void wtFinish();
    void reconcileEndedBlock();
    // What keeps other tables in step with GitHub's answers (TableWriter::followUpStatements).
    QList<InternalStatement> followUpStatements(const QList<AppliedChange> &applied) const;

    // session_backend.cpp
    void handleBackendMessage(char type, QByteArrayView payload, QByteArray &out);
    void onReadyForQuery(QByteArrayView payload);
    void beginCopy(bool copyIn);
    void endCopy();
    bool replaceRefusal(QByteArrayView payload, QByteArray &out);

    const quint64 m_id;
    SessionHost &m_host;
    ByteStream *m_client;
    UpstreamConnection *m_upstream = nullptr;
    QTimer *m_timer = nullptr;
    QElapsedTimer m_lastActivity;

    State m_state = State::Startup;
    State m_stateBeforeCopy = State::InQuery;
    protocol::TransactionStatus m_transactionStatus = protocol::TransactionStatus::Idle;
    bool m_admitted = false;
    bool m_clientGone = false;
    bool m_finished = false;
    bool m_tlsStarted = false;

    protocol::MessageReader m_clientReader;
    BackendStream m_backend;
    QByteArray m_toClient;   // produced, not yet handed to the client socket
    QByteArray m_toUpstream; // produced, not yet handed to the upstream socket (or waiting for connect)
    bool m_clientPaused = false;
    bool m_upstreamPaused = false;
    bool m_pumpingClient = false;
    bool m_pumpingUpstream = false;

    // Keys: what the server sent and what the client got instead (see SessionHost::registerBackendKey).
    protocol::BackendKeyData m_clientKey;
    bool m_hasKey = false;
    // What the next client of this server connection must be told, should it be pooled (the connection
    // itself is m_upstream); m_passwordAuth once the server asked for a password (never pooled then).
    PooledServer m_server;
    bool m_passwordAuth = false;

    // Sync points are the messages answered by exactly one ReadyForQuery: Query, Sync, FunctionCall.
    // They decide when the session is Ready again; nothing else depends on the exact count.
    qint64 m_syncPointsSent = 0;
    qint64 m_syncPointsAnswered = 0;
    qint64 m_syncsSinceExecute = 0;
    bool m_extendedOpen = false;     // extended messages sent since the last Sync
    bool m_discardUntilSync = false; // a Parse was refused: drop client messages up to Sync, like the server
    bool m_errorSinceReady = false;  // an ErrorResponse was relayed since the last ReadyForQuery
    bool m_copyIn = false;           // the server is in COPY FROM STDIN mode
    // A refused statement is replaced on the wire by one that fails to parse on a unique token
    // (session_frontend.cpp); the server's syntax error naming that token is rewritten into `error`.
    struct PendingRefusal {
        QByteArray token;
        protocol::ErrorFields error;
    };
    QList<PendingRefusal> m_refusals;
    quint64 m_refusalCounter = 0;

    // Classification per named prepared statement (the unnamed one is parsed anew for every Parse).
    QHash<QByteArray, Classification> m_statements;
    Classification m_unnamedStatement; // the last Parse of the unnamed statement

    // Write-through (session_writethrough.cpp). Extended messages wait in m_segment for their Sync or
    // Flush, so a segment that writes to a GitHub table can be run step by step; m_segmentPartlySent once a Flush
    // sent part of the segment on (the write then continues the transaction those messages began).
    QList<protocol::Frame> m_segment;
    QHash<qsizetype, WriteBind> m_segmentWrites; // see WtRun::writes
    bool m_segmentPartlySent = false;
    // The last Bind of each portal whose statement writes to a GitHub table (an Execute may come segments later),
    // and the Parse of each statement that does.
    QHash<QByteArray, WriteBind> m_writeBinds;
    QHash<QByteArray, protocol::Frame> m_writeParses;
    std::unique_ptr<WtRun> m_wt;   // the write-through running (or waiting for the server to be idle)
    bool m_wtInternal = false;     // server messages go to m_wtReader, not to the client
    QList<protocol::Frame> m_held; // client messages that arrived during write-through
    qint64 m_heldBytes = 0;
    protocol::MessageReader m_wtReader;
    QList<protocol::Frame> m_wtCollected; // the answers of the step running
    WtSteps m_wtSteps;                    // the answers of the batch's steps done so far
    qsizetype m_wtStepsLeft = 0;
    WtContinuation m_wtThen;
    quint64 m_wtCounter = 0;
    QByteArray m_wtPrefix;                  // see wtName()
    QSet<QByteArray> m_resettingStatements; // client statements that may drop ours (noteClientSql)
    bool m_resetAtEveryBind = false;
    // The session's own statements are prepared once per connection: SQL -> statement name. After a
    // failed batch (a Parse after the error never ran) they are all closed (m_wtStale) and parsed again
    // under new names.
    QHash<QByteArray, QByteArray> m_wtPrepared;
    QList<QByteArray> m_wtStale;        // statement names to close with the next internal step
    bool m_wtTablesReady = false;       // the temp tables were created and committed by this session
    bool m_sessionBlock = false;        // the open block is the session's, kept for the rest of a segment
    QList<AppliedChange> m_uncommitted; // accepted by GitHub inside the client's open transaction block
};

} // namespace hubsync::proxy
