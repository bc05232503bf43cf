#pragma once

#include "ui/tableworker.h"

#include <QAbstractTableModel>
#include <QSet>

namespace hubsync {

// The one page of a table the browser holds (never a whole table). Editable cells do not change on
// setData: the model asks for the edit (editRequested) and shows the old value until the database,
// that is GitHub through the proxy, has accepted it; a refusal leaves the cell as it was.
class TablePageModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int PendingRole = Qt::UserRole + 1; // true while an edit of the cell is in flight

    explicit TablePageModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;
    // Header clicks: the browser re-queries in that order (a page cannot be sorted on its own).
    void sort(int column, Qt::SortOrder order) override;

    void setPage(const TablePage &page);
    void setPending(qint64 id, const QString &column, bool pending);

    [[nodiscard]] const TablePage &page() const { return m_page; }
    // jsonb arrays shown and edited as "a, b" (label names, assignee ids); edits go back as JSON arrays.
    static bool isListColumn(const QString &column);
    static QString listText(const QVariant &json);
    static QString listJson(const QString &column, const QString &text);
    [[nodiscard]] int columnIndex(const QString &name) const { return int(m_page.columns.indexOf(name)); }
    [[nodiscard]] qint64 idAt(int row) const;
    [[nodiscard]] int rowOfId(qint64 id) const;

Q_SIGNALS:
    void editRequested(qint64 id, const QString &column, const QVariant &value);
    void sortRequested(const QString &column, bool descending);

private:
    TablePage m_page;
    int m_idColumn = -1;     // where the page has its id column (set with the page)
    QSet<QString> m_pending; // "id column"
};

} // namespace hubsync
