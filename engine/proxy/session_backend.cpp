// Session, server side: the few server messages the session looks at (see BackendStream's watch list).
// Everything else was already relayed byte for byte by BackendStream.

#include "proxy/protocol/auth.h"
#include "proxy/protocol/copy.h"
#include "proxy/session.h"

#include <QTimer>

namespace hubsync::proxy {

void Session::handleBackendMessage(char type, QByteArrayView payload, QByteArray &out) {
    switch (type) {
    case protocol::BackendKeyData::type:
        rewriteBackendKey(payload, out);
        return;
    case protocol::Authentication::type:
        // Anything but a bare AuthenticationOk means the server wanted a password: never pooled.
        if (const auto auth = protocol::Authentication::decode(payload);
            !auth || auth->kind != protocol::Authentication::Kind::Ok)
            m_passwordAuth = true;
        break;
    case protocol::ParameterStatus::type:
        if (const auto parameter = protocol::ParameterStatus::decode(payload))
            m_server.setParameter(parameter->name, parameter->value);
        break;
    case protocol::ReadyForQuery::type:
        onReadyForQuery(payload);
        break;
    case protocol::ErrorResponse::type:
        m_errorSinceReady = true;
        if (replaceRefusal(payload, out))
            return;
        if (m_state == State::Copy)
            endCopy();
        break;
    case protocol::CopyInResponse::type:
        beginCopy(true);
        break;
    case protocol::CopyOutResponse::type:
    case protocol::CopyBothResponse::type:
        beginCopy(false);
        break;
    case protocol::CommandComplete::type:
        if (m_state == State::Copy)
            endCopy();
        break;
    default:
        break;
    }
    BackendStream::appendWire(out, type, payload);
}

void Session::beginCopy(bool copyIn) {
    if (m_state == State::Copy)
        return;
    m_stateBeforeCopy = m_state;
    setState(State::Copy);
    m_backend.watch(protocol::CommandComplete::type); // COPY's end
    m_copyIn = copyIn;
    if (copyIn && m_stateBeforeCopy == State::Extended) {
        // Syncs that followed the COPY's Execute reached the server in copy-in mode, which ignores them.
        m_syncPointsSent -= m_syncsSinceExecute;
        m_syncsSinceExecute = 0;
    }
}

void Session::endCopy() {
    m_backend.unwatch(protocol::CommandComplete::type);
    m_copyIn = false;
    setState(m_stateBeforeCopy);
}

void Session::onReadyForQuery(QByteArrayView payload) {
    const protocol::Result<protocol::ReadyForQuery> ready = protocol::ReadyForQuery::decode(payload);
    if (ready)
        m_transactionStatus = ready->status;
    m_errorSinceReady = false;
    if (m_state == State::Authenticating) {
        // The end of authentication and startup: the session is open.
        m_timer->stop();
        setState(State::Ready);
        return;
    }
    ++m_syncPointsAnswered;
    if (m_state == State::Copy)
        endCopy();
    if (m_transactionStatus == protocol::TransactionStatus::Idle)
        reconcileEndedBlock();
    if (m_syncPointsAnswered >= m_syncPointsSent && !m_extendedOpen) {
        m_syncPointsAnswered = m_syncPointsSent; // never let a miscount drift
        setState(State::Ready);
        if (m_transactionStatus == protocol::TransactionStatus::Idle)
            m_writeBinds.clear(); // every portal ended with its transaction
    }
}

bool Session::replaceRefusal(QByteArrayView payload, QByteArray &out) {
    if (m_refusals.isEmpty())
        return false;
    const protocol::Result<protocol::ErrorResponse> error = protocol::ErrorResponse::decode(payload);
    // 42601: a refused Query/Parse; 34000: a refused Execute (its portal name is the token).
    if (!error || (error->fields.sqlState() != "42601" && error->fields.sqlState() != "34000"))
        return false;
    const QByteArray message = error->fields.message();
    for (qsizetype i = 0; i < m_refusals.size(); ++i) {
        if (message.contains(m_refusals.at(i).token)) {
            out += protocol::ErrorResponse{m_refusals.at(i).error}.encode();
            m_refusals.removeAt(i);
            return true;
        }
    }
    return false;
}

} // namespace hubsync::proxy
