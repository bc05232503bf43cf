#include "ui/tablebrowser.h"

#include "facade/engine.h"
#include "ui/tablepagemodel.h"

#include <QAbstractItemView>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHash>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSet>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace hubsync {

TableBrowser::TableBrowser(QString schema, QStringList tables, QWidget *parent)
    : QWidget(parent)
    , m_thread(new QThread)
    , m_model(new TablePageModel(this)) {
    qRegisterMetaType<TablePage>();
    qRegisterMetaType<TableRequest>();
    qRegisterMetaType<RowEdit>();
    qRegisterMetaType<EditOutcome>();
    qRegisterMetaType<DatabaseEndpoint>();
    m_thread->setObjectName(QStringLiteral("hubsync-browser"));
    m_worker = new TableWorker(std::move(schema));
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();

    m_tables = new QComboBox(this);
    m_tables->setObjectName(QStringLiteral("browserTables"));
    m_tables->addItems(tables);
    m_filterColumn = new QComboBox(this);
    m_filterColumn->setObjectName(QStringLiteral("browserFilterColumn"));
    m_filterColumn->addItem(tr("any text column"), QString());
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("browserFilter"));
    m_filter->setAccessibleName(tr("Filter rows"));
    m_filter->setPlaceholderText(tr("Filter…"));
    m_filter->setClearButtonEnabled(true);
    m_previous = new QPushButton(tr("◀ Previous"), this);
    m_next = new QPushButton(tr("Next ▶"), this);
    m_newRow = new QPushButton(tr("New row…"), this);
    m_newRow->setObjectName(QStringLiteral("browserNewRow"));
    m_deleteRow = new QPushButton(tr("Delete row…"), this);
    m_deleteRow->setObjectName(QStringLiteral("browserDeleteRow"));
    m_status = new QLabel(tr("Waiting for the database…"), this);
    m_status->setObjectName(QStringLiteral("browserStatus"));
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("browserError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(
        QStringLiteral("QLabel { background: #fde7e9; color: #8a0010; border: 1px solid #e0a0a8; padding: 6px; }"));
    m_error->hide();
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("browserTable"));
    m_view->setAccessibleName(tr("Table rows"));
    m_view->setModel(m_model);
    m_view->setSortingEnabled(true);
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setDefaultSectionSize(140);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Table:"), this));
    bar->addWidget(m_tables);
    bar->addWidget(m_filterColumn);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_previous);
    bar->addWidget(m_next);
    bar->addWidget(m_newRow);
    bar->addWidget(m_deleteRow);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_error);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);

    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(300);
    connect(&m_filterDelay, &QTimer::timeout, this, [this] { setFilter(m_filter->text(), filterColumn()); });
    connect(m_filter, &QLineEdit::textEdited, &m_filterDelay, qOverload<>(&QTimer::start));
    connect(m_filter, &QLineEdit::returnPressed, this, [this] {
        m_filterDelay.stop();
        setFilter(m_filter->text(), filterColumn());
    });
    connect(m_filterColumn, &QComboBox::activated, this, [this] { setFilter(m_filter->text(), filterColumn()); });
    connect(m_tables, &QComboBox::activated, this, [this] { setTable(m_tables->currentText()); });
    connect(m_previous, &QPushButton::clicked, this, &TableBrowser::previousPage);
    connect(m_next, &QPushButton::clicked, this, &TableBrowser::nextPage);
    connect(m_newRow, &QPushButton::clicked, this, &TableBrowser::askNewRow);
    connect(m_deleteRow, &QPushButton::clicked, this, &TableBrowser::askDeleteRow);
    connect(m_model, &TablePageModel::sortRequested, this, &TableBrowser::setSort);
    connect(m_model, &TablePageModel::editRequested, this, &TableBrowser::editCell);
    connect(m_worker, &TableWorker::opened, this, [this](bool ok, const QString &error) {
        m_connected = ok;
        if (!ok) {
            showError(tr("Cannot connect to the database: %1").arg(error));
            return;
        }
        reload();
    });
    connect(m_worker, &TableWorker::pageReady, this, &TableBrowser::showPage);
    connect(m_worker, &TableWorker::editFinished, this, &TableBrowser::showEditOutcome);

    m_request.table = m_tables->currentText();
    m_request.limit = pageSize;
    updateButtons();
}

TableBrowser::~TableBrowser() {
    // The connection is closed on the thread that opened it, before the thread ends.
    if (m_thread->isRunning())
        QMetaObject::invokeMethod(m_worker, &TableWorker::close, Qt::BlockingQueuedConnection);
}

void TableBrowser::connectTo(const DatabaseEndpoint &endpoint, bool viaProxy) {
    m_viaProxy = viaProxy;
    m_status->setText(viaProxy
                          ? tr("Connecting through the HubSync proxy at %1:%2…").arg(endpoint.host).arg(endpoint.port)
                          : tr("Connecting to the database (read only: the proxy is not running)…"));
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, endpoint] { worker->open(endpoint); }, Qt::QueuedConnection);
}

QString TableBrowser::currentTable() const {
    return m_request.table;
}

QString TableBrowser::filterText() const {
    return m_request.filter;
}

QString TableBrowser::filterColumn() const {
    return m_filterColumn->currentData().toString();
}

QString TableBrowser::errorText() const {
    return m_error->isHidden() ? QString() : m_error->text();
}

QString TableBrowser::statusText() const {
    return m_status->text();
}

void TableBrowser::setTable(const QString &table) {
    const int at = m_tables->findText(table);
    if (at < 0)
        return;
    m_tables->setCurrentIndex(at);
    if (table != m_request.table) {
        m_request.table = table;
        m_request.sortColumn.clear();
        m_request.descending = false;
        m_request.filterColumn.clear();
        m_columnsKnown = false;
        m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    }
    m_request.offset = 0;
    Q_EMIT stateChanged();
    request();
}

void TableBrowser::setFilter(const QString &text, const QString &column) {
    if (m_filter->text() != text)
        m_filter->setText(text);
    m_request.filter = text;
    m_request.filterColumn = column;
    const int at = m_filterColumn->findData(column);
    if (at >= 0)
        m_filterColumn->setCurrentIndex(at);
    else if (!column.isEmpty()) {
        m_filterColumn->addItem(column, column); // remembered from the last session, before columns arrive
        m_filterColumn->setCurrentIndex(m_filterColumn->count() - 1);
    }
    m_request.offset = 0;
    Q_EMIT stateChanged();
    request();
}

void TableBrowser::setSort(const QString &column, bool descending) {
    m_request.sortColumn = column;
    m_request.descending = descending;
    m_request.offset = 0;
    request();
}

void TableBrowser::nextPage() {
    if (m_total >= 0 && m_request.offset + pageSize >= m_total)
        return;
    m_request.offset += pageSize;
    request();
}

void TableBrowser::previousPage() {
    if (m_request.offset == 0)
        return;
    m_request.offset = std::max(0, m_request.offset - pageSize);
    request();
}

void TableBrowser::reload() {
    request();
}

void TableBrowser::request() {
    if (!m_connected)
        return;
    m_request.serial = ++m_serial;
    const TableRequest r = m_request;
    m_status->setText(tr("Loading %1…").arg(r.table));
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, r] { worker->fetch(r); }, Qt::QueuedConnection);
}

void TableBrowser::showPage(const TablePage &page) {
    if (page.serial != m_serial)
        return; // a newer request replaced this one
    if (!page.error.isEmpty()) {
        showError(tr("Reading %1: %2").arg(page.table, page.error));
        m_status->setText(tr("%1: could not be read").arg(page.table));
        return;
    }
    if (!m_columnsKnown) {
        // The filter's column list follows the table (a remembered column stays selected if it exists).
        const QString keep = m_request.filterColumn;
        m_filterColumn->clear();
        m_filterColumn->addItem(tr("any text column"), QString());
        for (const QString &c : page.columns)
            m_filterColumn->addItem(c, c);
        const int at = m_filterColumn->findData(keep);
        m_filterColumn->setCurrentIndex(at >= 0 ? at : 0);
        m_columnsKnown = true;
    }
    m_model->setPage(page);
    m_total = page.total;
    const QString total =
        page.totalCapped ? tr("more than %L1").arg(page.total) : QStringLiteral("%L1").arg(page.total);
    m_status->setText(page.rows.isEmpty()
                          ? tr("%1: no rows%2").arg(page.table, m_request.filter.isEmpty() ? QString() : tr(" match"))
                          : tr("%1: rows %L2–%L3 of %4%5")
                                .arg(page.table)
                                .arg(page.offset + 1)
                                .arg(page.offset + page.rows.size())
                                .arg(total)
                                .arg(page.editableColumns.isEmpty() || !m_viaProxy
                                         ? QString()
                                         : tr(" — double-click %1 to edit; changes go to GitHub first")
                                               .arg(page.editableColumns.join(QStringLiteral(", ")))));
    updateButtons();
    Q_EMIT pageLoaded(page);
}

void TableBrowser::updateButtons() {
    const bool issue = m_request.table == QStringLiteral("issue") && m_viaProxy;
    m_newRow->setVisible(m_viaProxy && !EngineController::insertColumns(m_request.table).isEmpty());
    m_newRow->setText(issue ? tr("New issue…") : tr("New row…"));
    m_deleteRow->setVisible(m_viaProxy && EngineController::deletableTables().contains(m_request.table));
    m_deleteRow->setText(issue ? tr("Delete issue…") : tr("Delete row…"));
    m_previous->setEnabled(m_request.offset > 0);
    m_next->setEnabled(m_total < 0 || m_request.offset + pageSize < m_total);
}

void TableBrowser::showError(const QString &text) {
    m_error->setText(text);
    m_error->show();
}

void TableBrowser::send(RowEdit edit) {
    if (!m_connected || !m_viaProxy) {
        showError(tr("Edits need the HubSync proxy (it applies them to GitHub first), and it is not running."));
        return;
    }
    edit.serial = ++m_serial;
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, edit] { worker->apply(edit); }, Qt::QueuedConnection);
}

void TableBrowser::editCell(qint64 id, const QString &column, const QVariant &value) {
    RowEdit edit;
    edit.kind = RowEdit::Kind::Update;
    edit.table = m_request.table;
    edit.id = id;
    edit.column = column;
    edit.value = value;
    m_model->setPending(id, column, true);
    m_status->setText(tr("Sending the change of %1 to GitHub…").arg(column));
    send(edit);
}

void TableBrowser::createIssue(qint64 repositoryId, const QString &title, const QString &body) {
    insertRow(QStringLiteral("issue"), {{QStringLiteral("repository_id"), repositoryId},
                                        {QStringLiteral("title"), title},
                                        {QStringLiteral("body"), body}});
}

void TableBrowser::createRow(const QVariantMap &values) {
    insertRow(m_request.table, values);
}

void TableBrowser::insertRow(const QString &table, const QVariantMap &values) {
    RowEdit edit;
    edit.kind = RowEdit::Kind::Insert;
    edit.table = table;
    edit.values = values;
    m_status->setText(table == QLatin1String("issue") ? tr("Creating the issue on GitHub…")
                                                      : tr("Creating the %1 row on GitHub…").arg(table));
    send(edit);
}

void TableBrowser::deleteRow(qint64 id) {
    RowEdit edit;
    edit.kind = RowEdit::Kind::Delete;
    edit.table = m_request.table;
    edit.id = id;
    m_status->setText(tr("Deleting the %1 row on GitHub…").arg(edit.table));
    send(edit);
}

void TableBrowser::showEditOutcome(const EditOutcome &outcome) {
    if (outcome.edit.kind == RowEdit::Kind::Update)
        m_model->setPending(outcome.edit.id, outcome.edit.column, false);
    if (outcome.ok) {
        m_error->hide();
        m_status->setText(tr("GitHub accepted the change."));
        // The row now holds GitHub's answer (new updated_at, a created issue's number): read it back.
        request();
    } else {
        static const QMap<RowEdit::Kind, QString> what = {{RowEdit::Kind::Update, tr("change")},
                                                          {RowEdit::Kind::Insert, tr("new issue")},
                                                          {RowEdit::Kind::Delete, tr("deletion")}};
        showError(tr("The %1 was refused: %2").arg(what.value(outcome.edit.kind), outcome.failure.text()));
        m_status->setText(tr("Nothing changed."));
    }
    Q_EMIT editFinished(outcome);
}

// A form with the current table's insert columns: the repository from a list, the others as text
// (PostgreSQL converts them to the column's type; an empty field is left out of the INSERT).
void TableBrowser::askNewRow() {
    const QString table = m_request.table;
    const QStringList columns = EngineController::insertColumns(table);
    QDialog dialog(this);
    dialog.setWindowTitle(table == QLatin1String("issue") ? tr("New issue") : tr("New %1 row").arg(table));
    auto *form = new QFormLayout(&dialog);
    QComboBox *repository = nullptr;
    QHash<QString, QWidget *> fields;
    for (const QString &column : columns) {
        if (column == QLatin1String("repository_id")) {
            repository = new QComboBox(&dialog);
            repository->setAccessibleName(tr("Repository"));
            form->addRow(tr("Repository"), repository);
            continue;
        }
        QWidget *field = column == QLatin1String("body") ? static_cast<QWidget *>(new QPlainTextEdit(&dialog))
                                                         : static_cast<QWidget *>(new QLineEdit(&dialog));
        field->setAccessibleName(column);
        form->addRow(column, field);
        fields.insert(column, field);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    QMetaObject::Connection listed;
    if (repository) {
        // The repositories arrive from the worker while the dialog is open.
        listed = connect(m_worker, &TableWorker::repositoriesListed, repository,
                         [repository](const QList<QPair<qint64, QString>> &list) {
                             for (const auto &[id, name] : list)
                                 repository->addItem(name, id);
                         });
        QMetaObject::invokeMethod(m_worker, &TableWorker::listRepositories, Qt::QueuedConnection);
    }
    const bool accepted = dialog.exec() == QDialog::Accepted;
    if (repository)
        disconnect(listed);
    if (!accepted)
        return;
    QVariantMap values;
    if (repository && repository->currentIndex() >= 0)
        values.insert(QStringLiteral("repository_id"), repository->currentData().toLongLong());
    for (auto it = fields.cbegin(); it != fields.cend(); ++it) {
        const auto *line = qobject_cast<const QLineEdit *>(it.value());
        const QString text = line ? line->text() : qobject_cast<const QPlainTextEdit *>(it.value())->toPlainText();
        if (!text.isEmpty())
            values.insert(it.key(), text);
    }
    createRow(values);
}

void TableBrowser::askDeleteRow() {
    const QModelIndexList selected = m_view->selectionModel()->selectedRows();
    if (selected.isEmpty()) {
        showError(tr("Select the row to delete first."));
        return;
    }
    const int row = selected.first().row();
    const qint64 id = m_model->idAt(row);
    // The row as a person knows it: its title, name, tag or body.
    QString what = QString::number(id);
    for (const char *column : {"title", "name", "tag_name", "content", "body"}) {
        const int at = m_model->columnIndex(QLatin1String(column));
        if (at >= 0 && !m_model->page().rows[row].value(at).toString().isEmpty()) {
            what = m_model->page().rows[row].value(at).toString().left(80);
            break;
        }
    }
    if (QMessageBox::question(this, tr("Delete %1").arg(m_request.table),
                              tr("Delete the %1 “%2” on GitHub? This cannot be undone.").arg(m_request.table, what)) ==
        QMessageBox::Yes)
        deleteRow(id);
}

QString TableBrowser::selectionText(const QAbstractItemView *view) {
    if (!view || !view->selectionModel() || !view->model())
        return {};
    const QModelIndexList cells = view->selectionModel()->selectedIndexes();
    if (cells.isEmpty())
        return {};
    QMap<int, QMap<int, QString>> byRow; // row -> column -> text
    QSet<int> columns;
    for (const QModelIndex &cell : cells) {
        byRow[cell.row()][cell.column()] = cell.data(Qt::DisplayRole).toString();
        columns.insert(cell.column());
    }
    QList<int> ordered = columns.values();
    std::sort(ordered.begin(), ordered.end());
    QStringList lines;
    for (auto row = byRow.cbegin(); row != byRow.cend(); ++row) {
        QStringList line;
        for (const int column : std::as_const(ordered)) {
            QString text = row->value(column);
            text.replace(QLatin1Char('\t'), QLatin1Char(' ')).replace(QLatin1Char('\n'), QLatin1Char(' '));
            line << text;
        }
        lines << line.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace hubsync
