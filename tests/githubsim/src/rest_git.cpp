// REST: commits, branches, tags, git refs and releases.

#include "server.h"

namespace hubsync::githubsim {

namespace {

const QString refsDocs = QStringLiteral("https://docs.github.com/rest/git/refs");
const QString releasesDocs = QStringLiteral("https://docs.github.com/rest/releases/releases");

qint64 floorDiv(qint64 a, qint64 b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

} // namespace

void Server::registerGitRoutes() {
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/commits"), [this](Context &c) {
        const Repo &r = *c.repo;
        if (r.commits == 0)
            return message(409, QStringLiteral("Git Repository is empty."),
                           QStringLiteral("https://docs.github.com/rest/commits/commits#list-commits"));
        const QUrlQuery &q = c.request.query;
        qint64 first = 0, last = r.commits - 1; // index range, newest first
        const QString start = q.queryItemValue(QStringLiteral("sha"));
        if (!start.isEmpty()) {
            qint64 k = -1;
            for (const Ref &ref : r.refs) {
                if (ref.ref == QStringLiteral("refs/heads/") + start || ref.ref == QStringLiteral("refs/tags/") + start)
                    k = m_world.commitIndex(r, ref.sha);
            }
            if (k < 0)
                k = m_world.commitIndex(r, start);
            if (k < 0)
                return notFound();
            first = k;
        }
        if (q.hasQueryItem(QStringLiteral("since"))) {
            const qint64 since = parseIsoTime(q.queryItemValue(QStringLiteral("since"), QUrl::FullyDecoded));
            if (since >= 0) // commitTime(k) = base + (commits - k) * spacing >= since
                last = qMin(last, r.commits - (since - r.base + r.commitSpacing - 1) / r.commitSpacing);
        }
        if (q.hasQueryItem(QStringLiteral("until"))) {
            const qint64 until = parseIsoTime(q.queryItemValue(QStringLiteral("until"), QUrl::FullyDecoded));
            if (until >= 0)
                first = qMax(first, r.commits - floorDiv(until - r.base, r.commitSpacing));
        }
        const qint64 total = qMax<qint64>(0, last - first + 1);
        return page(c, total, [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.commit(w, r, first + i);
        });
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/commits/{sha}"), [this](Context &c) {
        QString sha = c.params.value(QStringLiteral("sha"));
        for (const Ref &ref : c.repo->refs) {
            if (ref.ref == QStringLiteral("refs/heads/") + sha || ref.ref == QStringLiteral("refs/tags/") + sha)
                sha = ref.sha;
        }
        const qint64 k = m_world.commitIndex(*c.repo, sha);
        if (k < 0)
            return message(422, QStringLiteral("No commit found for SHA: ") + c.params.value(QStringLiteral("sha")),
                           QStringLiteral("https://docs.github.com/rest/commits/commits#get-a-commit"));
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.commit(w, *c.repo, k);
        return json(200, out);
    });

    const auto refsWithPrefix = [](const Repo &r, const QString &prefix) {
        QList<const Ref *> list;
        for (const Ref &ref : r.refs) {
            if (ref.ref.startsWith(prefix))
                list << &ref;
        }
        std::sort(list.begin(), list.end(), [](const Ref *a, const Ref *b) { return a->ref < b->ref; });
        return list;
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/branches"), [this, refsWithPrefix](Context &c) {
        const auto list = refsWithPrefix(*c.repo, QStringLiteral("refs/heads/"));
        return page(c, list.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.branch(w, *c.repo, *list[i]);
        });
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/branches/{+branch}"), [this, refsWithPrefix](Context &c) {
        for (const Ref *ref : refsWithPrefix(*c.repo, QStringLiteral("refs/heads/"))) {
            if (ref->ref.mid(11) == c.params.value(QStringLiteral("branch"))) {
                QByteArray out;
                JsonWriter w(&out);
                m_renderer.branch(w, *c.repo, *ref);
                return json(200, out);
            }
        }
        return message(404, QStringLiteral("Branch not found"),
                       QStringLiteral("https://docs.github.com/rest/branches/branches#get-a-branch"));
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/tags"), [this, refsWithPrefix](Context &c) {
        auto list = refsWithPrefix(*c.repo, QStringLiteral("refs/tags/"));
        std::reverse(list.begin(), list.end()); // newest tag names first, as GitHub lists them
        return page(c, list.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.tag(w, *c.repo, *list[i]);
        });
    });

    const auto listRefs = [this, refsWithPrefix](Context &c, const QString &prefix) {
        const auto list = refsWithPrefix(*c.repo, prefix);
        HttpResponse r = page(c, list.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.ref(w, *c.repo, *list[i]);
        });
        r.setHeader("X-Poll-Interval", "300");
        return r;
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/git/refs"),
             [listRefs](Context &c) { return listRefs(c, QStringLiteral("refs/")); });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/git/matching-refs/{+ref}"), [listRefs](Context &c) {
        return listRefs(c, QStringLiteral("refs/") + c.params.value(QStringLiteral("ref")));
    });
    const auto oneRef = [this, listRefs, refsWithPrefix](Context &c, bool legacyPrefixList) {
        const QString name = QStringLiteral("refs/") + c.params.value(QStringLiteral("ref"));
        for (const Ref &ref : c.repo->refs) {
            if (ref.ref == name) {
                QByteArray out;
                JsonWriter w(&out);
                m_renderer.ref(w, *c.repo, ref);
                return json(200, out);
            }
        }
        // GET /git/refs/heads answers the list of refs under the prefix (the legacy form).
        if (legacyPrefixList && !refsWithPrefix(*c.repo, name + QLatin1Char('/')).isEmpty())
            return listRefs(c, name + QLatin1Char('/'));
        return notFound();
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/git/refs/{+ref}"),
             [oneRef](Context &c) { return oneRef(c, true); });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/git/ref/{+ref}"),
             [oneRef](Context &c) { return oneRef(c, false); });
    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/git/refs"), [this](Context &c) {
        const QString ref = c.body.value(QStringLiteral("ref")).toString();
        const QString sha = c.body.value(QStringLiteral("sha")).toString();
        if (!ref.startsWith(QLatin1String("refs/")) || ref.count(QLatin1Char('/')) < 2)
            return message(422, QStringLiteral("Reference name must start with 'refs/' and have at least two slashes."),
                           refsDocs);
        if (m_world.commitIndex(*c.repo, sha) < 0)
            return message(422, QStringLiteral("Object does not exist"), refsDocs);
        const auto created = m_world.createRef(c.slot, ref, sha, c.identity.user < 0 ? 0 : c.identity.user);
        if (!created)
            return message(422, QStringLiteral("Reference already exists"), refsDocs);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.ref(w, *m_world.repo(c.slot), *created);
        return json(201, out);
    });
    addRoute("PATCH", QStringLiteral("/repos/{owner}/{repo}/git/refs/{+ref}"), [this](Context &c) {
        const QString sha = c.body.value(QStringLiteral("sha")).toString();
        const qint64 target = m_world.commitIndex(*c.repo, sha);
        if (target < 0)
            return message(422, QStringLiteral("Object does not exist"), refsDocs);
        // The history is one line, newest first: a fast-forward moves to the same or a newer commit.
        const QString name = QStringLiteral("refs/") + c.params.value(QStringLiteral("ref"));
        if (c.repo->protectedRefs.contains(name))
            return message(422, QStringLiteral("Reference update failed"), refsDocs);
        for (const Ref &ref : c.repo->refs) {
            if (ref.ref == name && !c.body.value(QStringLiteral("force")).toBool() &&
                target > m_world.commitIndex(*c.repo, ref.sha))
                return message(422, QStringLiteral("Update is not a fast forward"), refsDocs);
        }
        const auto updated = m_world.updateRef(c.slot, QStringLiteral("refs/") + c.params.value(QStringLiteral("ref")),
                                               sha, c.identity.user < 0 ? 0 : c.identity.user);
        if (!updated)
            return message(422, QStringLiteral("Reference does not exist"), refsDocs);
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.ref(w, *m_world.repo(c.slot), *updated);
        return json(200, out);
    });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/git/refs/{+ref}"), [this](Context &c) {
        if (c.repo->protectedRefs.contains(QStringLiteral("refs/") + c.params.value(QStringLiteral("ref"))))
            return message(422, QStringLiteral("Reference update failed"), refsDocs);
        return m_world.deleteRef(c.slot, QStringLiteral("refs/") + c.params.value(QStringLiteral("ref")),
                                 c.identity.user < 0 ? 0 : c.identity.user)
                   ? noContent()
                   : message(422, QStringLiteral("Reference does not exist"), refsDocs);
    });

    // Releases: newest first.
    const auto sortedReleases = [](const Repo &r) {
        QList<const Release *> list;
        for (const Release &rel : r.releases)
            list << &rel;
        std::stable_sort(list.begin(), list.end(), [](const Release *a, const Release *b) {
            return a->created != b->created ? a->created > b->created : a->id > b->id;
        });
        return list;
    };
    const auto oneRelease = [this](Context &c, const Release *rel) {
        if (!rel)
            return notFound();
        QByteArray out;
        JsonWriter w(&out);
        m_renderer.release(w, *m_world.repo(c.slot), *rel);
        return json(200, out);
    };
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/releases"), [this, sortedReleases](Context &c) {
        const auto list = sortedReleases(*c.repo);
        return page(c, list.size(), [&](JsonWriter &w, qint64 from, qint64 to) {
            for (qint64 i = from; i < to; ++i)
                m_renderer.release(w, *c.repo, *list[i]);
        });
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/releases/latest"), [sortedReleases, oneRelease](Context &c) {
        for (const Release *rel : sortedReleases(*c.repo)) {
            if (!rel->draft && !rel->prerelease)
                return oneRelease(c, rel);
        }
        return oneRelease(c, nullptr);
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/releases/tags/{+tag}"), [oneRelease](Context &c) {
        for (const Release &rel : c.repo->releases) {
            if (rel.tag == c.params.value(QStringLiteral("tag")))
                return oneRelease(c, &rel);
        }
        return oneRelease(c, nullptr);
    });
    addRoute("GET", QStringLiteral("/repos/{owner}/{repo}/releases/{id}"), [oneRelease](Context &c) {
        for (const Release &rel : c.repo->releases) {
            if (rel.id == c.params.value(QStringLiteral("id")).toLongLong())
                return oneRelease(c, &rel);
        }
        return oneRelease(c, nullptr);
    });
    addRoute("POST", QStringLiteral("/repos/{owner}/{repo}/releases"), [this, oneRelease](Context &c) {
        Release rel;
        rel.tag = c.body.value(QStringLiteral("tag_name")).toString();
        if (rel.tag.trimmed().isEmpty())
            return validationFailed(QStringLiteral("Release"), QStringLiteral("tag_name"),
                                    QStringLiteral("missing_field"), releasesDocs);
        for (const Release &existing : c.repo->releases) {
            if (existing.tag == rel.tag)
                return validationFailed(QStringLiteral("Release"), QStringLiteral("tag_name"),
                                        QStringLiteral("already_exists"), releasesDocs);
        }
        rel.name = c.body.value(QStringLiteral("name")).toString(rel.tag);
        rel.body = c.body.value(QStringLiteral("body")).toString();
        rel.target = c.body.value(QStringLiteral("target_commitish")).toString(QStringLiteral("main"));
        rel.draft = c.body.value(QStringLiteral("draft")).toBool();
        rel.prerelease = c.body.value(QStringLiteral("prerelease")).toBool();
        const auto created = m_world.createRelease(c.slot, rel, c.identity.user < 0 ? 0 : c.identity.user);
        HttpResponse r = oneRelease(c, &*created);
        r.status = 201;
        return r;
    });
    addRoute("PATCH", QStringLiteral("/repos/{owner}/{repo}/releases/{id}"), [this, oneRelease](Context &c) {
        const QJsonObject b = c.body;
        const auto edited = m_world.editRelease(
            c.slot, c.params.value(QStringLiteral("id")).toLongLong(),
            [&](Release &rel) {
                if (b.contains(QStringLiteral("tag_name")))
                    rel.tag = b.value(QStringLiteral("tag_name")).toString(rel.tag);
                if (b.contains(QStringLiteral("name")))
                    rel.name = b.value(QStringLiteral("name")).toString();
                if (b.contains(QStringLiteral("body")))
                    rel.body = b.value(QStringLiteral("body")).toString();
                if (b.contains(QStringLiteral("draft")))
                    rel.draft = b.value(QStringLiteral("draft")).toBool();
                if (b.contains(QStringLiteral("prerelease")))
                    rel.prerelease = b.value(QStringLiteral("prerelease")).toBool();
                if (b.contains(QStringLiteral("target_commitish")))
                    rel.target = b.value(QStringLiteral("target_commitish")).toString(rel.target);
            },
            c.identity.user < 0 ? 0 : c.identity.user);
        return edited ? oneRelease(c, &*edited) : notFound();
    });
    addRoute("DELETE", QStringLiteral("/repos/{owner}/{repo}/releases/{id}"), [this](Context &c) {
        return m_world.deleteRelease(c.slot, c.params.value(QStringLiteral("id")).toLongLong(),
                                     c.identity.user < 0 ? 0 : c.identity.user)
                   ? noContent()
                   : notFound();
    });
}

} // namespace hubsync::githubsim
