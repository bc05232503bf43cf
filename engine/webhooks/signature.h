#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace hubsync::webhooks {

// X-Hub-Signature-256: "sha256=" + hex(HMAC-SHA256(secret, raw body)).
QByteArray signatureFor(QByteArrayView body, QByteArrayView secret);

// True when `header` is the signature of `body` under `secret`. The comparison takes the same time
// wherever the first differing byte is, so a forger learns nothing from response timing.
bool verifySignature(QByteArrayView body, QByteArrayView secret, QByteArrayView header);

// Constant-time equality of two byte strings (length is not secret).
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

} // namespace hubsync::webhooks
