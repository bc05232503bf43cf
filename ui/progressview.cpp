#include "ui/progressview.h"

#include "ui/progressmodel.h"

#include <QApplication>
#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

namespace hubsync {

namespace {

// Paints a progress bar in the Progress column (busy stripes when the total is unknown).
class ProgressBarDelegate final : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override {
        const double fraction = index.data(ProgressModel::FractionRole).toDouble();
        QStyleOptionProgressBar bar;
        bar.rect = option.rect.adjusted(2, 3, -2, -3);
        bar.minimum = 0;
        bar.maximum = fraction < 0 ? 0 : 1000;
        bar.progress = fraction < 0 ? 0 : int(fraction * 1000);
        bar.text = index.data(Qt::DisplayRole).toString();
        bar.textVisible = true;
        bar.state = option.state | QStyle::State_Horizontal;
        QApplication::style()->drawControl(QStyle::CE_ProgressBar, &bar, painter);
    }
};

} // namespace

ProgressView::ProgressView(QWidget *parent)
    : QWidget(parent)
    , m_model(new ProgressModel(this)) {
    auto *layout = new QVBoxLayout(this);
    m_summary = new QLabel(tr("Waiting for the engine…"), this);
    m_summary->setObjectName(QStringLiteral("progressSummary"));
    m_summary->setWordWrap(true);
    m_quota = new QLabel(this);
    m_quota->setObjectName(QStringLiteral("quotaLabel"));
    m_errors = new QLabel(this);
    m_errors->setObjectName(QStringLiteral("progressErrors"));
    m_errors->setWordWrap(true);
    m_errors->setStyleSheet(QStringLiteral("QLabel { color: #b00020; }"));
    m_errors->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_errors->hide();

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("progressTable"));
    m_table->setModel(m_model);
    m_table->setItemDelegateForColumn(ProgressModel::Progress, new ProgressBarDelegate(m_table));
    m_table->horizontalHeader()->setSectionResizeMode(ProgressModel::Progress, QHeaderView::Stretch);
    m_table->verticalHeader()->hide();
    m_table->setSelectionMode(QAbstractItemView::NoSelection);

    layout->addWidget(m_summary);
    layout->addWidget(m_quota);
    layout->addWidget(m_errors);
    layout->addWidget(m_table, 1);
}

void ProgressView::showProgress(const CollectionProgress &progress) {
    m_model->update(progress);
    if (progress.quotaRemaining >= 0) {
        const QString reset = progress.quotaResetEpoch > 0 ? QDateTime::fromSecsSinceEpoch(progress.quotaResetEpoch)
                                                                 .toLocalTime()
                                                                 .toString(QStringLiteral("HH:mm:ss"))
                                                           : tr("unknown");
        m_quota->setText(tr("GitHub API quota left: %1 (resets at %2)").arg(progress.quotaRemaining).arg(reset));
    }
}

void ProgressView::showStatus(const EngineStatus &status) {
    QString text = status.message;
    if (!status.liveSyncMode.isEmpty())
        text += tr(" — live sync by %1").arg(status.liveSyncMode);
    m_summary->setText(text);
}

void ProgressView::showError(const QString &message) {
    m_errors->setText(m_errors->text().isEmpty() ? message : m_errors->text() + QLatin1Char('\n') + message);
    m_errors->show();
}

void ProgressView::showWarning(const QString &message) {
    showError(tr("Warning: %1").arg(message));
}

QString ProgressView::summaryText() const {
    return m_summary->text();
}

QString ProgressView::errorText() const {
    return m_errors->text();
}

} // namespace hubsync
