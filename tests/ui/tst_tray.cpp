// The desktop notifications with a real system tray: an X11 tray manager (the XEmbed system tray
// protocol, what panels without StatusNotifier support speak) on the test's X server, and the main window
// docking its icon there, showing the backfill-complete notice as a tray message, closing to the tray and
// coming back when the icon is clicked. Runs on the xcb platform (tests/run-all.sh runs every test under
// Xvfb); without an X display it is skipped, and the offscreen fallback is tst_mainwindow's.

#include "ui/mainwindow.h"
#include "ui/notifier.h"
#include "uitestsupport.h"

#include <QApplication>
#include <QLabel>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTest>

#include <xcb/xcb.h>

#include <cstdlib>
#include <cstring>

using namespace hubsync;
using hubsync::test::UiFixture;

namespace {

// A minimal system tray manager: owns the _NET_SYSTEM_TRAY_S0 selection on its own X connection and
// records the icon windows that ask to be docked (SYSTEM_TRAY_REQUEST_DOCK).
class FakeTray final {
public:
    FakeTray() {
        m_conn = xcb_connect(nullptr, nullptr);
        if (!m_conn || xcb_connection_has_error(m_conn))
            return;
        const xcb_screen_t *screen = xcb_setup_roots_iterator(xcb_get_setup(m_conn)).data;
        m_window = xcb_generate_id(m_conn);
        xcb_create_window(m_conn, XCB_COPY_FROM_PARENT, m_window, screen->root, 0, 0, 1, 1, 0,
                          XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, 0, nullptr);
        m_selection = atom("_NET_SYSTEM_TRAY_S0");
        m_opcode = atom("_NET_SYSTEM_TRAY_OPCODE");
        xcb_set_selection_owner(m_conn, m_window, m_selection, XCB_CURRENT_TIME);
        // Announce the manager as the protocol asks (clients that started first dock now).
        xcb_client_message_event_t manager{};
        manager.response_type = XCB_CLIENT_MESSAGE;
        manager.format = 32;
        manager.window = screen->root;
        manager.type = atom("MANAGER");
        manager.data.data32[0] = XCB_CURRENT_TIME;
        manager.data.data32[1] = m_selection;
        manager.data.data32[2] = m_window;
        xcb_send_event(m_conn, 0, screen->root, XCB_EVENT_MASK_STRUCTURE_NOTIFY,
                       reinterpret_cast<const char *>(&manager));
        xcb_flush(m_conn);
        const xcb_get_selection_owner_reply_t *owner =
            xcb_get_selection_owner_reply(m_conn, xcb_get_selection_owner(m_conn, m_selection), nullptr);
        m_ok = owner && owner->owner == m_window;
        std::free(const_cast<xcb_get_selection_owner_reply_t *>(owner));
    }
    ~FakeTray() {
        if (m_conn)
            xcb_disconnect(m_conn);
    }
    FakeTray(const FakeTray &) = delete;
    FakeTray &operator=(const FakeTray &) = delete;

    [[nodiscard]] bool ok() const { return m_ok; }

    // Reads what arrived; returns the windows that asked to be docked so far.
    QList<quint32> dockRequests() {
        while (xcb_generic_event_t *event = xcb_poll_for_event(m_conn)) {
            if ((event->response_type & 0x7f) == XCB_CLIENT_MESSAGE) {
                const auto *message = reinterpret_cast<const xcb_client_message_event_t *>(event);
                constexpr quint32 requestDock = 0;
                if (message->type == m_opcode && message->data.data32[1] == requestDock)
                    m_docked << message->data.data32[2];
            }
            std::free(event);
        }
        return m_docked;
    }

private:
    xcb_atom_t atom(const char *name) {
        xcb_intern_atom_reply_t *reply = xcb_intern_atom_reply(
            m_conn, xcb_intern_atom(m_conn, 0, static_cast<uint16_t>(std::strlen(name)), name), nullptr);
        xcb_atom_t a = XCB_ATOM_NONE;
        if (reply)
            a = reply->atom;
        std::free(reply);
        return a;
    }

    xcb_connection_t *m_conn = nullptr;
    xcb_window_t m_window = 0;
    xcb_atom_t m_selection = XCB_ATOM_NONE;
    xcb_atom_t m_opcode = XCB_ATOM_NONE;
    bool m_ok = false;
    QList<quint32> m_docked;
};

QWidget *visibleTopLevel(const char *className) {
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (w->isVisible() && qstrcmp(w->metaObject()->className(), className) == 0)
            return w;
    }
    return nullptr;
}

} // namespace

class TestTray : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        if (QGuiApplication::platformName() != QLatin1String("xcb"))
            QSKIP("needs an X display (tests/run-all.sh provides Xvfb)");
        if (QSystemTrayIcon::isSystemTrayAvailable())
            QSKIP("this display has a system tray already (a desktop session): the test needs a bare X server");
        m_tray = std::make_unique<FakeTray>();
        QVERIFY2(m_tray->ok(), "could not become the X11 system tray manager");
        QTRY_VERIFY(QSystemTrayIcon::isSystemTrayAvailable());
    }

    void backfillNoticeGoesToTheTray() {
        UiFixture fixture;
        const QString error = fixture.start(QStringLiteral("tray"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        MainWindow window(fixture.config());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.notifier()->usesTray());
        // The icon asked the tray to dock it.
        QTRY_VERIFY_WITH_TIMEOUT(!m_tray->dockRequests().isEmpty(), 10000);

        // The backfill's completion is a tray message (a balloon on XEmbed trays), not a banner in the window.
        QTRY_VERIFY_WITH_TIMEOUT(window.statusText().contains(QStringLiteral("backfill complete")), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(visibleTopLevel("QBalloonTip"), 10000);
        QWidget *balloon = visibleTopLevel("QBalloonTip");
        QStringList texts;
        for (const QLabel *label : balloon->findChildren<QLabel *>())
            texts << label->text();
        QVERIFY2(texts.join(QLatin1Char(' ')).contains(QStringLiteral("Backfill complete")),
                 qPrintable(texts.join(QLatin1Char('|'))));
        QVERIFY(!window.bannerText().contains(QStringLiteral("Backfill complete")));

        // Closing hides the window to the tray (the sync goes on); clicking the icon brings it back.
        window.close();
        QVERIFY(!window.isVisible());
        QWidget *icon = nullptr;
        for (QWidget *w : QApplication::topLevelWidgets()) {
            if (qstrcmp(w->metaObject()->className(), "QSystemTrayIconSys") == 0)
                icon = w;
        }
        QVERIFY2(icon, "the tray icon's window");
        QVERIFY(m_tray->dockRequests().contains(quint32(icon->winId())));
        QSignalSpy activated(window.notifier(), &Notifier::activated);
        QTest::mouseClick(icon, Qt::LeftButton, {}, QPoint(2, 2));
        QTRY_COMPARE(activated.count(), 1);
        QTRY_VERIFY(window.isVisible());
    }

private:
    std::unique_ptr<FakeTray> m_tray;
};

int main(int argc, char **argv) {
    // This test is about the X11 tray; tests elsewhere run offscreen.
    if (qEnvironmentVariableIsSet("DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "xcb");
    QApplication app(argc, argv);
    TestTray test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_tray.moc"
