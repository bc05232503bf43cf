#pragma once

#include "core/ownedthread.h"
#include "ui/tableworker.h"

#include <QThread>
#include <QTimer>
#include <QWidget>

#include <memory>

class QAbstractItemView;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace hubsync {

class TablePageModel;

// Browses every synced table a page at a time (sortable, filterable) over a QPSQL connection to the
// HubSync proxy. The tables the proxy writes through are editable (issue title, body, state, assignees;
// comment bodies; label names and colours; releases; pull request titles, ...), their rows can be
// deleted, and issues created: the proxy applies each edit to GitHub first, so GitHub's refusal comes back as a
// PostgreSQL error, shown here with its SQLSTATE, detail and hint, while the cell keeps its old value.
class TableBrowser final : public QWidget {
    Q_OBJECT
public:
    static constexpr int pageSize = 100;

    TableBrowser(QString schema, QStringList tables, QWidget *parent = nullptr);
    ~TableBrowser() override;
    Q_DISABLE_COPY_MOVE(TableBrowser)

    // viaProxy: edits reach GitHub. Without the proxy (port taken) the browser only reads.
    void connectTo(const DatabaseEndpoint &endpoint, bool viaProxy);
    [[nodiscard]] bool isConnected() const { return m_connected; }

    void setTable(const QString &table);
    void setFilter(const QString &text, const QString &column = {});
    void setSort(const QString &column, bool descending);
    void nextPage();
    void previousPage();
    void reload();

    void editCell(qint64 id, const QString &column, const QVariant &value);
    void createIssue(qint64 repositoryId, const QString &title, const QString &body);
    // Creates a row of the current table (its columns: EngineController::insertColumns()).
    void createRow(const QVariantMap &values);
    // Deletes a row of the current table (which must accept deletes through the proxy).
    void deleteRow(qint64 id);

    [[nodiscard]] TablePageModel *model() const { return m_model; }
    [[nodiscard]] QTableView *view() const { return m_view; }
    // The selected cells of `view` as text for the clipboard: one line per row, cells separated by tabs, in
    // the view's order (rows and columns without a selected cell left out); empty without a selection.
    static QString selectionText(const QAbstractItemView *view);
    [[nodiscard]] QString currentTable() const;
    [[nodiscard]] QString filterText() const;
    [[nodiscard]] QString filterColumn() const;
    [[nodiscard]] QString errorText() const;
    [[nodiscard]] QString statusText() const;
    [[nodiscard]] int offset() const { return m_request.offset; }

Q_SIGNALS:
    void pageLoaded(const hubsync::TablePage &page);
    void editFinished(const hubsync::EditOutcome &outcome);
    void stateChanged(); // table or filter changed: the window remembers them

private:
    void request();
    void showPage(const TablePage &page);
    void showEditOutcome(const EditOutcome &outcome);
    void showError(const QString &text);
    void send(RowEdit edit);
    void askNewRow();
    void insertRow(const QString &table, const QVariantMap &values);
    void askDeleteRow();
    void updateButtons();

    OwnedThread m_thread;
    TableWorker *m_worker = nullptr; // lives on m_thread
    TablePageModel *m_model = nullptr;
    QComboBox *m_tables = nullptr;
    QComboBox *m_filterColumn = nullptr;
    QLineEdit *m_filter = nullptr;
    QPushButton *m_previous = nullptr;
    QPushButton *m_next = nullptr;
    QPushButton *m_newRow = nullptr;
    QPushButton *m_deleteRow = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_error = nullptr;
    QTableView *m_view = nullptr;
    QTimer m_filterDelay;
    TableRequest m_request;
    quint64 m_serial = 0;
    qint64 m_total = -1;
    bool m_connected = false;
    bool m_viaProxy = false;
    bool m_columnsKnown = false;
};

} // namespace hubsync
