// The write side of the world: every change bumps the version (invalidating cached list orders),
// moves updated_at and reports a Change for webhooks.

#include "world.h"

namespace hubsync::githubsim {

qint64 World::stamp(qint64 previous) const {
    return qMax(now(), previous + 1);
}

void World::changed(Change change) {
    ++m_version;
    if (m_onChange)
        m_onChange(change);
}

int World::createRepo(const QString &owner, const QString &name, const QString &description, bool isPrivate,
                      int actor) {
    Repo r;
    r.slot = int(m_repos.size());
    r.id = ids::repository + r.slot;
    r.owner = owner;
    r.name = name;
    r.description = description;
    r.isPrivate = isPrivate;
    r.hasDiscussions = true;
    r.created = r.updated = r.pushed = now();
    r.base = r.created;
    for (const auto &[labelName, color, text] : defaultLabels()) {
        Label l;
        l.id = ids::label + r.slot * ids::slotStride + r.nextLabel++;
        l.name = QString::fromLatin1(labelName);
        l.color = QString::fromLatin1(color);
        l.description = QString::fromLatin1(text);
        l.isDefault = true;
        r.labels << l;
    }
    m_repos.append(std::move(r));
    Change c(QStringLiteral("repository"), QStringLiteral("created"), int(m_repos.size() - 1), actor);
    changed(c);
    return int(m_repos.size() - 1);
}

bool World::deleteRepo(int slot, int actor) {
    if (!repo(slot))
        return false;
    changed(Change(QStringLiteral("repository"), QStringLiteral("deleted"), slot, actor));
    m_repos[slot].deleted = true;
    return true;
}

void World::setRepoFeatures(int slot, bool hasIssues, bool hasDiscussions, int actor) {
    Repo &r = *repo(slot);
    r.hasIssues = hasIssues;
    r.hasDiscussions = hasDiscussions;
    r.updated = now();
    changed(Change(QStringLiteral("repository"), QStringLiteral("edited"), slot, actor));
}

Issue World::createIssue(int slot, const Issue &fields, int actor) {
    Repo &r = *repo(slot);
    Issue i = fields;
    i.number = r.nextNumber++;
    i.user = actor;
    i.created = i.updated = now();
    r.issues[i.number] = i;
    r.updated = i.updated;
    Change c(fields.pull ? QStringLiteral("pull_request") : QStringLiteral("issues"), QStringLiteral("opened"), slot,
             actor);
    c.issue = i;
    changed(c);
    return i;
}

std::optional<Issue> World::updateIssue(int slot, qint64 number, const std::function<void(Issue &)> &edit,
                                        QList<Change> events, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    auto current = issue(*r, number);
    if (!current)
        return std::nullopt;
    Issue i = *current;
    edit(i);
    i.updated = stamp(current->updated);
    if (i.closed && !current->closed) {
        i.closedAt = i.updated;
        i.closedBy = actor;
    } else if (!i.closed && current->closed) {
        i.closedAt = 0;
        i.closedBy = -1;
        i.merged = false;
    }
    r->issues[number] = i;
    ++m_version;
    for (Change &c : events) {
        if (c.event.isEmpty())
            c.event = i.pull ? QStringLiteral("pull_request") : QStringLiteral("issues");
        c.slot = slot;
        c.actor = actor;
        c.issue = i;
        changed(c);
    }
    return i;
}

bool World::deleteIssue(int slot, qint64 number, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return false;
    const auto current = issue(*r, number);
    if (!current || current->pull) // GitHub cannot delete pull requests
        return false;
    r->issues[number] = std::nullopt;
    Change c(QStringLiteral("issues"), QStringLiteral("deleted"), slot, actor);
    c.issue = current;
    changed(c);
    return true;
}

std::optional<Comment> World::createComment(int slot, qint64 number, const QString &body, int actor) {
    Repo *r = repo(slot);
    if (!r || !issue(*r, number))
        return std::nullopt;
    Comment c;
    c.local = r->nextComment++;
    c.number = number;
    c.user = actor;
    c.body = body;
    c.created = c.updated = now();
    r->comments[c.local] = c;
    // A new comment counts on its thread and moves the thread's updated_at, as on GitHub.
    Issue thread = *issue(*r, number);
    thread.comments += 1;
    thread.updated = stamp(thread.updated);
    r->issues[number] = thread;
    Change change(QStringLiteral("issue_comment"), QStringLiteral("created"), slot, actor);
    change.issue = thread;
    change.comment = c;
    changed(change);
    return c;
}

std::optional<Comment> World::editComment(int slot, qint64 local, const QString &body, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    auto current = comment(*r, local);
    if (!current)
        return std::nullopt;
    Comment c = *current;
    c.body = body;
    c.updated = stamp(current->updated);
    r->comments[local] = c;
    Change change(QStringLiteral("issue_comment"), QStringLiteral("edited"), slot, actor);
    change.issue = issue(*r, c.number);
    change.comment = c;
    change.changes = QJsonObject{{QStringLiteral("body"), QJsonObject{{QStringLiteral("from"), current->body}}}};
    changed(change);
    return c;
}

bool World::deleteComment(int slot, qint64 local, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return false;
    const auto current = comment(*r, local);
    if (!current)
        return false;
    r->comments[local] = std::nullopt;
    std::optional<Issue> thread = issue(*r, current->number);
    if (thread) {
        thread->comments = qMax(0, thread->comments - 1);
        thread->updated = stamp(thread->updated);
        r->issues[current->number] = *thread;
    }
    Change change(QStringLiteral("issue_comment"), QStringLiteral("deleted"), slot, actor);
    change.issue = thread;
    change.comment = current;
    changed(change);
    return true;
}

std::optional<Reaction> World::addReaction(int slot, qint64 number, qint64 commentLocal, const QString &content,
                                           int actor, bool *existed) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    const bool onComment = commentLocal >= 0;
    if (onComment ? !comment(*r, commentLocal) : !issue(*r, number))
        return std::nullopt;
    QList<Reaction> list = onComment ? commentReactions(*r, commentLocal) : issueReactions(*r, number);
    for (const Reaction &existing : list) {
        if (existing.user == actor && existing.content == content) {
            *existed = true; // GitHub answers 200 with the existing reaction
            return existing;
        }
    }
    *existed = false;
    Reaction reaction;
    reaction.id = ids::reaction + r->slot * 1'000'000'000LL + r->nextReaction++;
    reaction.user = actor;
    reaction.content = content;
    reaction.created = now();
    list << reaction;
    if (onComment)
        r->commentReactions.insert(commentLocal, list);
    else
        r->issueReactions.insert(number, list);
    ++m_version; // GitHub sends no webhook for reactions
    return reaction;
}

bool World::deleteReaction(int slot, qint64 reactionId) {
    Repo *r = repo(slot);
    if (!r)
        return false;
    // Reactions live on issues or comments; a deletion names the reaction only, so look where it can be.
    const auto removeFrom = [&](QList<Reaction> list, const std::function<void(const QList<Reaction> &)> &store) {
        const qsizetype before = list.size();
        list.removeIf([&](const Reaction &x) { return x.id == reactionId; });
        if (list.size() == before)
            return false;
        store(list);
        ++m_version;
        return true;
    };
    const qint64 local = reactionId - ids::reaction - r->slot * 1'000'000'000LL;
    if (local >= 0 && local < 500'000'000)
        return removeFrom(issueReactions(*r, local / 4),
                          [&](const QList<Reaction> &l) { r->issueReactions.insert(local / 4, l); });
    if (local >= 500'000'000 && local < 900'000'000)
        return removeFrom(commentReactions(*r, (local - 500'000'000) / 4),
                          [&](const QList<Reaction> &l) { r->commentReactions.insert((local - 500'000'000) / 4, l); });
    for (auto it = r->issueReactions.begin(); it != r->issueReactions.end(); ++it) {
        if (removeFrom(it.value(), [&](const QList<Reaction> &l) { it.value() = l; }))
            return true;
    }
    for (auto it = r->commentReactions.begin(); it != r->commentReactions.end(); ++it) {
        if (removeFrom(it.value(), [&](const QList<Reaction> &l) { it.value() = l; }))
            return true;
    }
    return false;
}

std::optional<Label> World::createLabel(int slot, const Label &label, int actor) {
    Repo *r = repo(slot);
    if (!r || labelByName(*r, label.name))
        return std::nullopt;
    Label l = label;
    l.id = ids::label + r->slot * ids::slotStride + r->nextLabel++;
    r->labels << l;
    Change c(QStringLiteral("label"), QStringLiteral("created"), slot, actor);
    c.label = l;
    changed(c);
    return l;
}

std::optional<Label> World::editLabel(int slot, const QString &name, const Label &patch, int actor) {
    Repo *r = repo(slot);
    const Label *existing = r ? labelByName(*r, name) : nullptr;
    if (!existing)
        return std::nullopt;
    Label &l = const_cast<Label &>(*existing);
    QJsonObject changes;
    if (!patch.name.isEmpty() && patch.name != l.name) {
        changes.insert(QStringLiteral("name"), QJsonObject{{QStringLiteral("from"), l.name}});
        l.name = patch.name;
    }
    if (!patch.color.isEmpty() && patch.color != l.color) {
        changes.insert(QStringLiteral("color"), QJsonObject{{QStringLiteral("from"), l.color}});
        l.color = patch.color;
    }
    if (!patch.description.isNull() && patch.description != l.description) {
        changes.insert(QStringLiteral("description"), QJsonObject{{QStringLiteral("from"), l.description}});
        l.description = patch.description;
    }
    Change c(QStringLiteral("label"), QStringLiteral("edited"), slot, actor);
    c.label = l;
    c.changes = changes;
    changed(c);
    return l;
}

bool World::deleteLabel(int slot, const QString &name, int actor) {
    Repo *r = repo(slot);
    const Label *existing = r ? labelByName(*r, name) : nullptr;
    if (!existing)
        return false;
    const Label copy = *existing;
    r->labels.removeIf([&](const Label &l) { return l.id == copy.id; });
    Change c(QStringLiteral("label"), QStringLiteral("deleted"), slot, actor);
    c.label = copy;
    changed(c);
    return true;
}

std::optional<Release> World::createRelease(int slot, const Release &release, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    Release rel = release;
    rel.id = ids::release + r->slot * ids::slotStride + r->nextRelease++;
    rel.author = actor;
    rel.created = now();
    rel.published = rel.draft ? 0 : rel.created;
    r->releases << rel;
    Change c(QStringLiteral("release"), rel.draft ? QStringLiteral("created") : QStringLiteral("published"), slot,
             actor);
    c.release = rel;
    changed(c);
    // Publishing a release creates its tag, which GitHub announces with a create event.
    if (!rel.draft && r->commits > 0 && !std::any_of(r->refs.cbegin(), r->refs.cend(), [&](const Ref &x) {
            return x.ref == QStringLiteral("refs/tags/") + rel.tag;
        }))
        createRef(slot, QStringLiteral("refs/tags/") + rel.tag, commitSha(*r, 0), actor);
    return rel;
}

std::optional<Release> World::editRelease(int slot, qint64 id, const std::function<void(Release &)> &edit, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    for (Release &rel : r->releases) {
        if (rel.id == id) {
            const bool wasDraft = rel.draft;
            edit(rel);
            if (wasDraft && !rel.draft)
                rel.published = now();
            Change c(QStringLiteral("release"),
                     wasDraft && !rel.draft ? QStringLiteral("published") : QStringLiteral("edited"), slot, actor);
            c.release = rel;
            changed(c);
            return rel;
        }
    }
    return std::nullopt;
}

bool World::deleteRelease(int slot, qint64 id, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return false;
    for (qsizetype k = 0; k < r->releases.size(); ++k) {
        if (r->releases[k].id == id) {
            Change c(QStringLiteral("release"), QStringLiteral("deleted"), slot, actor);
            c.release = r->releases.takeAt(k);
            changed(c);
            return true;
        }
    }
    return false;
}

std::optional<Ref> World::createRef(int slot, const QString &ref, const QString &sha, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    for (const Ref &x : std::as_const(r->refs)) {
        if (x.ref == ref)
            return std::nullopt;
    }
    r->refs << Ref{ref, sha};
    r->pushed = now();
    Change c(QStringLiteral("create"), QString(), slot, actor);
    c.ref = r->refs.last();
    changed(c);
    return r->refs.last();
}

std::optional<Ref> World::updateRef(int slot, const QString &ref, const QString &sha, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    for (Ref &x : r->refs) {
        if (x.ref == ref) {
            x.sha = sha;
            r->pushed = now();
            Change c(QStringLiteral("push"), QString(), slot, actor);
            c.ref = x;
            changed(c);
            return x;
        }
    }
    return std::nullopt;
}

bool World::deleteRef(int slot, const QString &ref, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return false;
    for (qsizetype k = 0; k < r->refs.size(); ++k) {
        if (r->refs[k].ref == ref) {
            Change c(QStringLiteral("delete"), QString(), slot, actor);
            c.ref = r->refs.takeAt(k);
            changed(c);
            return true;
        }
    }
    return false;
}

std::optional<Discussion> World::createDiscussion(int slot, const QString &title, const QString &body, int category,
                                                  int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    Discussion d;
    d.id = ids::discussion + r->slot * ids::slotStride + r->discussions.size();
    d.number = r->nextNumber++;
    d.title = title;
    d.body = body;
    d.category = qBound(0, category, int(discussionCategories().size()) - 1);
    d.author = actor;
    d.created = d.updated = now();
    r->discussions << d;
    Change c(QStringLiteral("discussion"), QStringLiteral("created"), slot, actor);
    c.discussion = d;
    changed(c);
    return d;
}

std::optional<Discussion> World::editDiscussion(int slot, qint64 number, const std::function<void(Discussion &)> &edit,
                                                const QString &action, int actor) {
    Repo *r = repo(slot);
    const int d = r ? discussionIndex(*r, number) : -1;
    if (d < 0)
        return std::nullopt;
    Discussion &disc = r->discussions[d];
    edit(disc);
    disc.updated = stamp(disc.updated);
    Change c(QStringLiteral("discussion"), action, slot, actor);
    c.discussion = disc;
    changed(c);
    return disc;
}

bool World::deleteDiscussion(int slot, qint64 number, int actor) {
    Repo *r = repo(slot);
    const int d = r ? discussionIndex(*r, number) : -1;
    if (d < 0)
        return false;
    r->discussions[d].deleted = true;
    Change c(QStringLiteral("discussion"), QStringLiteral("deleted"), slot, actor);
    c.discussion = r->discussions[d];
    changed(c);
    return true;
}

std::optional<DiscussionComment> World::createDiscussionComment(int slot, qint64 number, const QString &body,
                                                                qint64 replyTo, int actor) {
    Repo *r = repo(slot);
    const int d = r ? discussionIndex(*r, number) : -1;
    if (d < 0)
        return std::nullopt;
    Discussion &disc = r->discussions[d];
    if (replyTo != 0 && std::none_of(disc.comments.cbegin(), disc.comments.cend(),
                                     [&](const DiscussionComment &c) { return c.id == replyTo; }))
        return std::nullopt;
    DiscussionComment c;
    c.id = ids::discussionComment + r->slot * ids::slotStride + r->nextDiscussionComment++;
    c.discussion = d;
    c.author = actor;
    c.body = body;
    c.replyTo = replyTo;
    c.created = c.updated = now();
    disc.comments << c;
    disc.updated = stamp(disc.updated);
    Change change(QStringLiteral("discussion_comment"), QStringLiteral("created"), slot, actor);
    change.discussion = disc;
    change.discussionComment = c;
    changed(change);
    return c;
}

std::optional<DiscussionComment> World::editDiscussionComment(int slot, qint64 id, const QString &body, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return std::nullopt;
    for (Discussion &disc : r->discussions) {
        for (DiscussionComment &c : disc.comments) {
            if (c.id == id && !disc.deleted) {
                const QString before = c.body;
                c.body = body;
                c.updated = stamp(c.updated);
                Change change(QStringLiteral("discussion_comment"), QStringLiteral("edited"), slot, actor);
                change.discussion = disc;
                change.discussionComment = c;
                change.changes = QJsonObject{{QStringLiteral("body"), QJsonObject{{QStringLiteral("from"), before}}}};
                changed(change);
                return c;
            }
        }
    }
    return std::nullopt;
}

bool World::deleteDiscussionComment(int slot, qint64 id, int actor) {
    Repo *r = repo(slot);
    if (!r)
        return false;
    for (Discussion &disc : r->discussions) {
        for (qsizetype k = 0; k < disc.comments.size(); ++k) {
            if (disc.comments[k].id == id && !disc.deleted) {
                Change change(QStringLiteral("discussion_comment"), QStringLiteral("deleted"), slot, actor);
                change.discussionComment = disc.comments.takeAt(k);
                disc.updated = stamp(disc.updated);
                change.discussion = disc;
                changed(change);
                return true;
            }
        }
    }
    return false;
}

} // namespace hubsync::githubsim
