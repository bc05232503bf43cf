#include "ui/tablepagemodel.h"

#include <QBrush>
#include <QDateTime>
#include <QFont>
#include <QJsonArray>
#include <QJsonDocument>

namespace hubsync {

namespace {

QString pendingKey(qint64 id, const QString &column) {
    return QString::number(id) + QLatin1Char(' ') + column;
}

// Long text (bodies) as one line in the grid; the whole value is in the tooltip and the editor.
constexpr int maxCellText = 200;

} // namespace

TablePageModel::TablePageModel(QObject *parent)
    : QAbstractTableModel(parent) {}

int TablePageModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_page.rows.size());
}

int TablePageModel::columnCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_page.columns.size());
}

QVariant TablePageModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return m_page.offset + section + 1;
    return section < m_page.columns.size() ? m_page.columns[section] : QVariant();
}

QVariant TablePageModel::data(const QModelIndex &index, int role) const {
    if (!index.isValid() || index.row() >= m_page.rows.size() || index.column() >= m_page.columns.size())
        return {};
    const QString &column = m_page.columns[index.column()];
    // data() runs for every cell and role at every repaint: the pending look-up only for the roles that
    // show it, and only while an edit is in flight.
    if (role == Qt::FontRole || role == PendingRole) {
        const bool pending = !m_pending.isEmpty() && m_pending.contains(pendingKey(idAt(index.row()), column));
        if (role == PendingRole)
            return pending;
        if (!pending)
            return {};
        QFont font;
        font.setItalic(true);
        return font;
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole && role != Qt::ToolTipRole && role != Qt::ForegroundRole)
        return {};
    const QVariant value = isListColumn(column) && !m_page.rows[index.row()].value(index.column()).isNull()
                               ? QVariant(listText(m_page.rows[index.row()].value(index.column())))
                               : m_page.rows[index.row()].value(index.column());
    switch (role) {
    case Qt::DisplayRole: {
        if (value.isNull())
            return QStringLiteral("NULL");
        if (value.metaType().id() == QMetaType::QDateTime)
            return value.toDateTime().toUTC().toString(Qt::ISODate);
        QString text = value.toString();
        text.replace(QLatin1Char('\n'), QStringLiteral(" ⏎ "));
        return text.size() > maxCellText ? text.left(maxCellText) + QStringLiteral("…") : text;
    }
    case Qt::EditRole:
        return value;
    case Qt::ToolTipRole:
        return value.toString().left(4000);
    case Qt::ForegroundRole:
        if (value.isNull())
            return QBrush(Qt::gray);
        return {};
    default:
        return {};
    }
}

Qt::ItemFlags TablePageModel::flags(const QModelIndex &index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() < m_page.columns.size() &&
        m_page.editableColumns.contains(m_page.columns[index.column()]) && idAt(index.row()) > 0)
        f |= Qt::ItemIsEditable;
    return f;
}

bool TablePageModel::setData(const QModelIndex &index, const QVariant &value, int role) {
    if (role != Qt::EditRole || !(flags(index) & Qt::ItemIsEditable))
        return false;
    const QString column = m_page.columns[index.column()];
    const QVariant old = index.data(Qt::EditRole);
    if (old == value || (old.isNull() && value.toString().isEmpty()))
        return false;
    Q_EMIT editRequested(idAt(index.row()), column,
                         isListColumn(column) ? QVariant(listJson(column, value.toString())) : value);
    return false; // the cell keeps its value until GitHub (through the proxy) accepts the edit
}

bool TablePageModel::isListColumn(const QString &column) {
    return column == QStringLiteral("label_names") || column == QStringLiteral("assignee_ids");
}

QString TablePageModel::listText(const QVariant &json) {
    const QJsonDocument doc = QJsonDocument::fromJson(json.toString().toUtf8());
    if (!doc.isArray())
        return json.toString();
    QStringList items;
    for (const QJsonValue &v : doc.array())
        items << (v.isDouble() ? QString::number(qint64(v.toDouble())) : v.toString());
    return items.join(QStringLiteral(", "));
}

QString TablePageModel::listJson(const QString &column, const QString &text) {
    QJsonArray array;
    for (const QString &part : text.split(QLatin1Char(','))) {
        const QString item = part.trimmed();
        if (item.isEmpty())
            continue;
        bool number = false;
        const qint64 id = item.toLongLong(&number);
        // Assignees are user ids; anything else goes as text and GitHub (through the proxy) says why not.
        if (column == QStringLiteral("assignee_ids") && number)
            array.append(QJsonValue(id));
        else
            array.append(item);
    }
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

void TablePageModel::sort(int column, Qt::SortOrder order) {
    if (column >= 0 && column < m_page.columns.size())
        Q_EMIT sortRequested(m_page.columns[column], order == Qt::DescendingOrder);
}

void TablePageModel::setPage(const TablePage &page) {
    beginResetModel();
    m_page = page;
    m_idColumn = columnIndex(QStringLiteral("id"));
    endResetModel();
}

void TablePageModel::setPending(qint64 id, const QString &column, bool pending) {
    if (pending)
        m_pending.insert(pendingKey(id, column));
    else
        m_pending.remove(pendingKey(id, column));
    const int row = rowOfId(id);
    const int col = columnIndex(column);
    if (row >= 0 && col >= 0)
        Q_EMIT dataChanged(index(row, col), index(row, col));
}

qint64 TablePageModel::idAt(int row) const {
    if (m_idColumn < 0 || row < 0 || row >= m_page.rows.size())
        return 0;
    return m_page.rows[row].value(m_idColumn).toLongLong();
}

int TablePageModel::rowOfId(qint64 id) const {
    for (int row = 0; row < m_page.rows.size(); ++row) {
        if (idAt(row) == id)
            return row;
    }
    return -1;
}

} // namespace hubsync
