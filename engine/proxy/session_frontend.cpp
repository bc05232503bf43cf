// Session, client side: everything a client sends after its StartupMessage. Query and Parse go through
// the gate; the rest of the extended protocol is validated, tracked and relayed unchanged.
//
// A refused statement is not answered by the proxy itself. It is replaced, in place, by a message of the
// same type whose SQL fails to parse, and the server's syntax error for it is rewritten into the gate's
// ErrorResponse (session_backend.cpp). The server therefore does everything PostgreSQL does after a
// failed statement, in the right order relative to pipelined messages: it aborts the implicit
// transaction or the transaction block (ReadyForQuery then says 'I' or 'E'), skips to Sync in the
// extended protocol, and a refused named statement does not exist afterwards.

#include "core/log.h"
#include "proxy/protocol/messages_frontend.h"
#include "proxy/session.h"

namespace hubsync::proxy {

namespace {

// Named statements whose classification is kept; beyond that they are classified again at Parse time
// only (the classifier's own cache still spares most of the parsing).
constexpr qsizetype statementCacheLimit = 65536;
constexpr qsizetype portalMapLimit = 4096;
// Refusals whose rewritten error has not come back yet (an earlier error in the same pipeline makes the
// server skip the replacement, so some never come back).
constexpr qsizetype pendingRefusalLimit = 64;

protocol::Frame frameOf(char type, const QByteArray &wire) {
    // MessageWriter output is type + length + payload; the Frame keeps the payload only.
    return protocol::Frame{type, wire.mid(protocol::typedHeaderSize)};
}

} // namespace

void Session::malformed(const QString &message) {
    fatal("08P01", QStringLiteral("invalid frontend message"), message);
}

void Session::handleClientFrame(const protocol::Frame &frame) {
    if (m_discardUntilSync && frame.type != protocol::Sync::type && frame.type != protocol::Terminate::type)
        return; // the server would skip these too after the refused Parse
    switch (frame.type) {
    case protocol::Query::type:
        handleQuery(frame);
        return;
    case protocol::Parse::type:
        handleParse(frame);
        return;
    case protocol::Bind::type:
    case protocol::Close::type:
    case protocol::Describe::type:
    case protocol::Execute::type:
        if (!trackExtended(frame))
            return;
        m_extendedOpen = true;
        if (m_state != State::Copy)
            setState(State::Extended);
        if (frame.type == protocol::Execute::type && !m_writeBinds.isEmpty()) {
            const protocol::Result<protocol::Execute> execute = protocol::Execute::decode(frame.payload);
            const auto bind = execute ? m_writeBinds.constFind(execute->portal) : m_writeBinds.cend();
            if (bind != m_writeBinds.cend())
                m_segmentWrites.insert(m_segment.size(), *bind); // this Execute, at its place in the segment
        }
        forwardExtended(frame);
        return;
    case protocol::Flush::type:
        if (!trackExtended(frame))
            return;
        m_extendedOpen = true;
        if (m_state != State::Copy)
            setState(State::Extended);
        if (!m_segmentWrites.isEmpty()) {
            // The client wants results before its Sync: run the write now; the rest of the segment then
            // waits for its Sync or the next Flush again.
            runSegment(false);
            return;
        }
        if (m_host.writeThrough()) {
            forwardSegment();
            m_segmentPartlySent = true;
        }
        frame.appendTo(m_toUpstream);
        return;
    case protocol::Sync::type:
        if (!frame.payload.isEmpty()) {
            malformed(protocol::emptyMessageError(frame.type, frame.payload.size()));
            return;
        }
        m_discardUntilSync = false;
        m_extendedOpen = false;
        // PostgreSQL ignores Sync during COPY FROM STDIN (libpq sends one after CopyDone instead).
        if (!m_copyIn) {
            ++m_syncPointsSent;
            ++m_syncsSinceExecute;
        }
        if (m_state != State::Copy)
            setState(State::Extended);
        if ((!m_segmentWrites.isEmpty() || m_sessionBlock) && !m_copyIn) {
            runSegment(true);
            return;
        }
        m_segmentPartlySent = false;
        forwardSegment();
        frame.appendTo(m_toUpstream);
        return;
    case 'F': // FunctionCall (fast path): answered like a Query
        forwardSegment();
        frame.appendTo(m_toUpstream);
        ++m_syncPointsSent;
        if (m_state != State::Copy)
            setState(State::InQuery);
        return;
    case protocol::Terminate::type:
        parkServer();      // keeps the server connection for the next client, where that is safe
        closeGracefully(); // otherwise sends Terminate upstream
        return;
    default:
        // Authentication responses, COPY data, and anything else: PostgreSQL judges them.
        frame.appendTo(m_toUpstream);
        return;
    }
}

bool Session::trackExtended(const protocol::Frame &frame) {
    switch (frame.type) {
    case protocol::Bind::type: {
        const protocol::Result<protocol::BindNames> bind = protocol::BindNames::decode(frame.payload);
        if (!bind) {
            malformed(bind.error());
            return false;
        }
        // Keys for lookups only, over the frame's bytes (no copy); a name that is kept is copied.
        const QByteArray statement = QByteArray::fromRawData(bind->statement.data(), bind->statement.size());
        const QByteArray portal = QByteArray::fromRawData(bind->portal.data(), bind->portal.size());
        noteClientBind(statement);
        if (!m_host.writeThrough())
            return true;
        // Decided at Bind: the portal keeps running this statement even if its name is parsed again.
        if (!isWriteThroughStatement(statement)) {
            if (!m_writeBinds.isEmpty())
                m_writeBinds.remove(portal);
            return true;
        }
        if (m_writeBinds.size() >= portalMapLimit && !m_writeBinds.contains(portal)) {
            // Forgetting one would let its Execute bypass GitHub; portals end with their transaction.
            refuseExecute(errorFields(
                "54000", QStringLiteral("too many open portals that write to GitHub tables"),
                QStringLiteral("The HubSync proxy keeps at most %1 of them per transaction.").arg(portalMapLimit),
                QStringLiteral("Close portals after use, or commit in smaller transactions.")));
            m_discardUntilSync = true;
            return false;
        }
        m_writeBinds.insert(bind->portal.toByteArray(), WriteBind{frame, m_writeParses.value(statement)});
        return true;
    }
    case protocol::Close::type: {
        const protocol::Result<protocol::Close> close = protocol::Close::decode(frame.payload);
        if (!close) {
            malformed(close.error());
            return false;
        }
        if (close->kind == protocol::ObjectKind::Statement) {
            m_statements.remove(close->name);
            m_writeParses.remove(close->name);
        } else {
            m_writeBinds.remove(close->name);
        }
        return true;
    }
    case protocol::Describe::type: {
        const protocol::Result<protocol::Describe> describe = protocol::Describe::decode(frame.payload);
        if (!describe) {
            malformed(describe.error());
            return false;
        }
        return true;
    }
    case protocol::Execute::type: {
        const protocol::Result<protocol::Execute> execute = protocol::Execute::decode(frame.payload);
        if (!execute) {
            malformed(execute.error());
            return false;
        }
        m_syncsSinceExecute = 0;
        return true;
    }
    default: {
        const protocol::Result<protocol::Flush> flush = protocol::Flush::decode(frame.payload);
        if (!flush) {
            malformed(flush.error());
            return false;
        }
        return true;
    }
    }
}

GateDecision Session::decide(const ClassifiedStatement &statement) {
    return m_host.gate().decide(statement);
}

void Session::handleQuery(const protocol::Frame &frame) {
    const protocol::Result<protocol::Query> query = protocol::Query::decode(frame.payload);
    if (!query) {
        malformed(query.error());
        return;
    }
    if (m_host.writeThrough() && (!m_segmentWrites.isEmpty() || m_sessionBlock)) {
        // A Query ends the extended messages before it as a Sync would (PostgreSQL commits them with it):
        // their writes go to GitHub and the session's block commits first, then the Query runs on its own
        // (or is skipped with the rest of a failed segment, as PostgreSQL skips to Sync).
        holdFrame(frame);
        runSegment(false, true);
        return;
    }
    forwardSegment();        // extended messages without a Sync go first, as they would have
    m_unnamedStatement = {}; // a simple Query drops the unnamed statement (and the unnamed portal)
    m_writeBinds.remove(QByteArray());
    m_segmentPartlySent = false;
    ClassifiedStatement statement;
    statement.source = ClassifiedStatement::Source::SimpleQuery;
    statement.sql = query->sql;
    noteClientSql(query->sql);
    statement.classification = m_host.classifier().classify(query->sql);
    statement.transactionStatus = m_transactionStatus;
    const GateDecision decision = decide(statement);
    ++m_syncPointsSent;
    if (m_state != State::Copy)
        setState(State::InQuery);
    if (decision.action == GateDecision::Action::Refuse) {
        const QByteArray token = nextRefusalToken();
        refuse(frameOf(protocol::Query::type, protocol::Query{refusedSql(token)}.encode()), token, decision.error);
    } else if (decision.action == GateDecision::Action::WriteThrough && m_host.writeThrough()) {
        beginWriteThrough({frame}, true, true);
    } else {
        frame.appendTo(m_toUpstream);
    }
}

void Session::handleParse(const protocol::Frame &frame) {
    const protocol::Result<protocol::Parse> parse = protocol::Parse::decode(frame.payload);
    if (!parse) {
        malformed(parse.error());
        return;
    }
    m_extendedOpen = true;
    if (m_state != State::Copy)
        setState(State::Extended);

    ClassifiedStatement statement;
    statement.source = ClassifiedStatement::Source::Parse;
    statement.statementName = parse->statement;
    statement.sql = parse->sql;
    noteClientSql(parse->sql, &parse->statement);
    statement.classification = m_host.classifier().classify(parse->sql);
    statement.transactionStatus = m_transactionStatus;
    const GateDecision decision = decide(statement);
    if (decision.action == GateDecision::Action::Refuse) {
        // Same statement name: like a Parse that failed on the server, the name stays free.
        m_statements.remove(parse->statement);
        m_writeParses.remove(parse->statement);
        if (parse->statement.isEmpty())
            m_unnamedStatement = {};
        const QByteArray token = nextRefusalToken();
        const protocol::Parse replacement{parse->statement, refusedSql(token), {}};
        refuse(frameOf(protocol::Parse::type, replacement.encode()), token, decision.error);
        m_discardUntilSync = true;
        return;
    }
    if (statement.classification.kind == Classification::Kind::Write && m_host.writeThrough() &&
        (m_writeParses.size() < statementCacheLimit || m_writeParses.contains(parse->statement)))
        m_writeParses.insert(parse->statement, frame);
    else
        m_writeParses.remove(parse->statement);
    if (parse->statement.isEmpty())
        m_unnamedStatement = statement.classification;
    else if (m_statements.size() < statementCacheLimit || m_statements.contains(parse->statement))
        m_statements.insert(parse->statement, statement.classification);
    forwardExtended(frame);
}

QByteArray Session::nextRefusalToken() {
    // The trailing underscore keeps token 1 from being a prefix of token 17.
    return QByteArrayLiteral("hubsync_proxy_refused_") + QByteArray::number(++m_refusalCounter) + '_';
}

QByteArray Session::refusedSql(const QByteArray &token) {
    // The comment explains the syntax error to whoever reads the server log.
    return QByteArrayLiteral("/* statement refused by the HubSync proxy; the client got the reason */ ") + token;
}

void Session::refuse(const protocol::Frame &replacement, const QByteArray &token, const protocol::ErrorFields &error) {
    m_host.countRefusal();
    logDebug(QStringLiteral("proxy"),
             QStringLiteral("session %1: refused a statement: %2").arg(m_id).arg(QString::fromUtf8(error.message())),
             {{QStringLiteral("sqlstate"), QString::fromLatin1(error.sqlState())}});
    if (m_refusals.size() >= pendingRefusalLimit)
        m_refusals.removeFirst();
    m_refusals.append(PendingRefusal{token, error});
    if (replacement.type == protocol::Query::type)
        sendToUpstream(replacement.toWire());
    else
        forwardExtended(replacement);
}

// An Execute is refused by running a portal that does not exist, named by a refusal token: the server
// answers 34000 naming it (rewritten into `error`) and skips to Sync.
void Session::refuseExecute(const protocol::ErrorFields &error) {
    const QByteArray token = nextRefusalToken();
    refuse(frameOf(protocol::Execute::type, protocol::Execute{token, 0}.encode()), token, error);
}

} // namespace hubsync::proxy
