// GraphQL: request handling, schema, validation and the execution engine. Resolvers: graphqlresolvers.cpp.

#include "graphqlservice.h"

#include <QJsonDocument>
#include <QLocale>

namespace hubsync::githubsim {

using graphql::Selection;
using graphql::Value;

GraphqlService::Val GraphqlService::Val::of(const QJsonValue &v) {
    Val x;
    x.kind = v.isNull() || v.isUndefined() ? Kind::Null : Kind::Scalar;
    x.scalar = v;
    return x;
}

GraphqlService::Val GraphqlService::Val::of(const Obj &o) {
    Val x;
    x.kind = Kind::Object;
    x.obj = o;
    return x;
}

GraphqlService::GraphqlService(Server &server)
    : m_server(server) {}

const QHash<QString, QHash<QString, GraphqlService::FieldDef>> &GraphqlService::schema() {
    // type: field:Type(arg,arg) ...; [Type] = list. Interfaces list the fields every implementation has.
    static const QHash<QString, QHash<QString, FieldDef>> types = [] {
        const QList<std::pair<const char *, const char *>> text{
            {"Query", "repository:Repository(owner,name,followRenames) node:Node(id) nodes:[Node](ids) "
                      "rateLimit:RateLimit(dryRun) "
                      "viewer:User user:User(login)"},
            {"Mutation", "deleteIssue:DeleteIssuePayload(input) createDiscussion:DiscussionPayload(input) "
                         "updateDiscussion:DiscussionPayload(input) deleteDiscussion:DiscussionPayload(input) "
                         "addDiscussionComment:DiscussionCommentPayload(input) "
                         "updateDiscussionComment:DiscussionCommentPayload(input) "
                         "deleteDiscussionComment:DiscussionCommentPayload(input)"},
            {"DiscussionPayload", "clientMutationId:String discussion:Discussion"},
            {"DiscussionCommentPayload", "clientMutationId:String comment:DiscussionComment"},
            {"DiscussionCategoryConnection", "totalCount:Int nodes:[DiscussionCategory]"},
            {"Repository",
             "id:ID databaseId:Int name:String nameWithOwner:String url:URI isPrivate:Boolean createdAt:DateTime "
             "updatedAt:DateTime hasDiscussionsEnabled:Boolean owner:RepositoryOwner "
             "discussions:DiscussionConnection(first,after,last,before,orderBy,categoryId,answered) "
             "discussion:Discussion(number) issue:Issue(number) pullRequest:PullRequest(number) "
             "discussionCategories:DiscussionCategoryConnection(first,after) "
             "issues:IssueConnection(first,after,last,before,orderBy,states) "
             "pullRequests:PullRequestConnection(first,after,last,before,orderBy,states)"},
            {"IssueConnection", "totalCount:Int pageInfo:PageInfo nodes:[Issue] edges:[IssueEdge]"},
            {"IssueEdge", "cursor:String node:Issue"},
            {"PullRequestConnection", "totalCount:Int pageInfo:PageInfo nodes:[PullRequest] edges:[PullRequestEdge]"},
            {"PullRequestEdge", "cursor:String node:PullRequest"},
            {"IssueCommentConnection",
             "totalCount:Int pageInfo:PageInfo nodes:[IssueComment] edges:[IssueCommentEdge]"},
            {"IssueCommentEdge", "cursor:String node:IssueComment"},
            {"IssueComment",
             "id:ID databaseId:Int fullDatabaseId:BigInt body:String url:URI createdAt:DateTime updatedAt:DateTime "
             "author:Actor authorAssociation:CommentAuthorAssociation issue:Issue pullRequest:PullRequest "
             "reactions:ReactionConnection(first,after,last,before,content,orderBy) reactionGroups:[ReactionGroup]"},
            {"ReactionConnection", "totalCount:Int pageInfo:PageInfo nodes:[Reaction] edges:[ReactionEdge]"},
            {"ReactionEdge", "cursor:String node:Reaction"},
            {"Reaction", "id:ID databaseId:Int content:ReactionContent createdAt:DateTime user:User"},
            {"ReactionGroup", "content:ReactionContent createdAt:DateTime viewerHasReacted:Boolean "
                              "reactors:ReactorConnection(first,after,last,before)"},
            {"ReactorConnection", "totalCount:Int"},
            {"Reactable", "id:ID databaseId:Int reactions:ReactionConnection(first,after,last,before,content,orderBy) "
                          "reactionGroups:[ReactionGroup]"},
            {"DiscussionConnection", "totalCount:Int pageInfo:PageInfo nodes:[Discussion] edges:[DiscussionEdge]"},
            {"DiscussionEdge", "cursor:String node:Discussion"},
            {"Discussion",
             "id:ID databaseId:Int number:Int title:String body:String bodyText:String url:URI createdAt:DateTime "
             "updatedAt:DateTime locked:Boolean closed:Boolean upvoteCount:Int answerChosenAt:DateTime author:Actor "
             "category:DiscussionCategory repository:Repository "
             "comments:DiscussionCommentConnection(first,after,last,before)"},
            {"DiscussionCommentConnection",
             "totalCount:Int pageInfo:PageInfo nodes:[DiscussionComment] edges:[DiscussionCommentEdge]"},
            {"DiscussionCommentEdge", "cursor:String node:DiscussionComment"},
            {"DiscussionComment",
             "id:ID databaseId:Int body:String bodyText:String url:URI createdAt:DateTime updatedAt:DateTime "
             "author:Actor replyTo:DiscussionComment replies:DiscussionCommentConnection(first,after,last,before) "
             "upvoteCount:Int "
             "isAnswer:Boolean "
             "discussion:Discussion"},
            {"DiscussionCategory",
             "id:ID name:String slug:String emoji:String description:String isAnswerable:Boolean"},
            {"PageInfo", "hasNextPage:Boolean hasPreviousPage:Boolean startCursor:String endCursor:String"},
            {"RateLimit", "limit:Int cost:Int remaining:Int resetAt:DateTime used:Int nodeCount:Int"},
            {"User", "id:ID databaseId:Int login:String name:String url:URI avatarUrl:URI(size) isSiteAdmin:Boolean"},
            {"Organization", "id:ID databaseId:Int login:String name:String url:URI avatarUrl:URI(size)"},
            {"Bot", "id:ID databaseId:Int login:String url:URI avatarUrl:URI(size)"},
            {"Issue",
             "id:ID databaseId:Int fullDatabaseId:BigInt number:Int title:String body:String url:URI "
             "state:IssueState closed:Boolean locked:Boolean createdAt:DateTime updatedAt:DateTime author:Actor "
             "repository:Repository comments:IssueCommentConnection(first,after,last,before,orderBy) "
             "reactions:ReactionConnection(first,after,last,before,content,orderBy) reactionGroups:[ReactionGroup]"},
            {"PullRequest",
             "id:ID databaseId:Int fullDatabaseId:BigInt number:Int title:String body:String url:URI "
             "state:PullRequestState closed:Boolean locked:Boolean createdAt:DateTime updatedAt:DateTime "
             "author:Actor repository:Repository comments:IssueCommentConnection(first,after,last,before,orderBy) "
             "reactions:ReactionConnection(first,after,last,before,content,orderBy) reactionGroups:[ReactionGroup]"},
            {"DeleteIssuePayload", "clientMutationId:String repository:Repository"},
            {"Actor", "login:String url:URI avatarUrl:URI(size)"},
            {"Node", "id:ID"},
            {"RepositoryOwner", "id:ID login:String url:URI avatarUrl:URI(size)"}};
        static const QRegularExpression field(QStringLiteral(R"((\w+):(\[?)(\w+)\]?(?:\(([\w,]*)\))?)"));
        QHash<QString, QHash<QString, FieldDef>> out;
        for (const auto &[type, fields] : text) {
            auto &defs = out[QString::fromLatin1(type)];
            auto it = field.globalMatch(QString::fromLatin1(fields));
            while (it.hasNext()) {
                const auto m = it.next();
                defs.insert(m.captured(1), FieldDef{m.captured(3), !m.captured(2).isEmpty(),
                                                    m.captured(4).split(QLatin1Char(','), Qt::SkipEmptyParts)});
            }
        }
        return out;
    }();
    return types;
}

bool GraphqlService::isAbstract(const QString &type) {
    return type == QLatin1String("Actor") || type == QLatin1String("Node") ||
           type == QLatin1String("RepositoryOwner") || type == QLatin1String("Reactable");
}

bool GraphqlService::typeMatches(const QString &runtimeType, const QString &condition) {
    if (condition.isEmpty() || condition == runtimeType)
        return true;
    static const QHash<QString, QStringList> implementations{
        {QStringLiteral("Actor"), {QStringLiteral("User"), QStringLiteral("Organization"), QStringLiteral("Bot")}},
        {QStringLiteral("RepositoryOwner"), {QStringLiteral("User"), QStringLiteral("Organization")}},
        {QStringLiteral("Node"),
         {QStringLiteral("User"), QStringLiteral("Organization"), QStringLiteral("Repository"), QStringLiteral("Issue"),
          QStringLiteral("PullRequest"), QStringLiteral("Discussion"), QStringLiteral("DiscussionComment"),
          QStringLiteral("DiscussionCategory"), QStringLiteral("IssueComment"), QStringLiteral("Reaction")}},
        {QStringLiteral("Reactable"),
         {QStringLiteral("Issue"), QStringLiteral("PullRequest"), QStringLiteral("IssueComment")}}};
    return implementations.value(condition).contains(runtimeType);
}

bool GraphqlService::isScalar(const QString &type) {
    return !schema().contains(type);
}

void GraphqlService::error(Exec &e, const QString &type, const QString &message, const Selection *s,
                           const QStringList &path) {
    QJsonObject err{{QStringLiteral("type"), type}, {QStringLiteral("message"), message}};
    if (!path.isEmpty())
        err.insert(QStringLiteral("path"), QJsonArray::fromStringList(path));
    if (s)
        err.insert(QStringLiteral("locations"),
                   QJsonArray{QJsonObject{{QStringLiteral("line"), s->line}, {QStringLiteral("column"), s->column}}});
    e.errors.append(err);
}

void GraphqlService::validate(Exec &e, const QList<Selection> &selections, const QString &type, const QStringList &path,
                              int depth) {
    const auto &types = schema();
    for (const Selection &s : selections) {
        if (s.kind == Selection::Kind::InlineFragment || s.kind == Selection::Kind::FragmentSpread) {
            QString condition = s.typeCondition;
            const QList<Selection> *inner = &s.selections;
            if (s.kind == Selection::Kind::FragmentSpread) {
                const auto it = e.doc.fragments.constFind(s.name);
                if (it == e.doc.fragments.constEnd()) {
                    error(e, QStringLiteral("undefinedFragment"),
                          QStringLiteral("Fragment %1 was used, but not defined").arg(s.name), &s, path);
                    e.invalid = true;
                    continue;
                }
                if (e.fragmentStack.contains(s.name)) {
                    error(e, QStringLiteral("infiniteLoop"),
                          QStringLiteral("Fragment %1 contains an infinite loop").arg(s.name), &s, path);
                    e.invalid = true;
                    continue;
                }
                condition = it->typeCondition;
                inner = &it->selections;
            }
            if (!condition.isEmpty() && !types.contains(condition)) {
                error(e, QStringLiteral("undefinedType"),
                      QStringLiteral("No such type %1, so it can't be a fragment condition").arg(condition), &s, path);
                e.invalid = true;
                continue;
            }
            if (s.kind == Selection::Kind::FragmentSpread)
                e.fragmentStack.insert(s.name);
            validate(e, *inner, condition.isEmpty() ? type : condition, path, depth);
            if (s.kind == Selection::Kind::FragmentSpread)
                e.fragmentStack.remove(s.name);
            continue;
        }
        const QStringList here = path + QStringList{s.responseKey()};
        if (s.name == QLatin1String("__typename"))
            continue;
        const auto def = types.value(type).constFind(s.name);
        if (def == types.value(type).constEnd()) {
            QJsonObject err{
                {QStringLiteral("path"), QJsonArray::fromStringList(here)},
                {QStringLiteral("extensions"), QJsonObject{{QStringLiteral("code"), QStringLiteral("undefinedField")},
                                                           {QStringLiteral("typeName"), type},
                                                           {QStringLiteral("fieldName"), s.name}}},
                {QStringLiteral("locations"),
                 QJsonArray{QJsonObject{{QStringLiteral("line"), s.line}, {QStringLiteral("column"), s.column}}}},
                {QStringLiteral("type"), QStringLiteral("undefinedField")},
                {QStringLiteral("message"), QStringLiteral("Field '%1' doesn't exist on type '%2'").arg(s.name, type)}};
            e.errors.append(err);
            e.invalid = true;
            continue;
        }
        for (const auto &[name, value] : s.arguments) {
            if (!def->args.contains(name)) {
                error(e, QStringLiteral("argumentNotAccepted"),
                      QStringLiteral("Field '%1' doesn't accept argument '%2'").arg(s.name, name), &s, here);
                e.invalid = true;
            }
            if (value.kind == Value::Kind::Variable &&
                std::none_of(e.op.variables.cbegin(), e.op.variables.cend(),
                             [&](const graphql::VariableDefinition &v) { return v.name == value.text; })) {
                error(e, QStringLiteral("variableNotDefined"),
                      QStringLiteral("Variable $%1 is used by %2 but not declared")
                          .arg(value.text, e.op.name.isEmpty() ? QStringLiteral("anonymous query") : e.op.name),
                      &s, here);
                e.invalid = true;
            }
        }
        const bool scalar = isScalar(def->type);
        if (scalar && !s.selections.isEmpty()) {
            error(e, QStringLiteral("selectionMismatch"),
                  QStringLiteral("Selections can't be made on scalars (field '%1' returns %2 but has selections [%3])")
                      .arg(s.name, def->type, s.selections.first().name),
                  &s, here);
            e.invalid = true;
        } else if (!scalar && s.selections.isEmpty()) {
            error(e, QStringLiteral("selectionMismatch"),
                  QStringLiteral("Field must have selections (field '%1' returns %2 but has no selections. Did you "
                                 "mean '%1 { ... }'?)")
                      .arg(s.name, def->type),
                  &s, here);
            e.invalid = true;
        } else if (!scalar) {
            validate(e, s.selections, def->type, here, depth + 1);
        }
    }
}

QJsonValue GraphqlService::argument(Exec &e, const Value &v) const {
    switch (v.kind) {
    case Value::Kind::Null:
        return QJsonValue();
    case Value::Kind::Int:
        return QJsonValue(v.text.toLongLong());
    case Value::Kind::Float:
        return QJsonValue(v.text.toDouble());
    case Value::Kind::String:
    case Value::Kind::Enum:
        return QJsonValue(v.text);
    case Value::Kind::Boolean:
        return QJsonValue(v.text == QLatin1String("true"));
    case Value::Kind::Variable:
        return e.variables.value(v.text);
    case Value::Kind::List: {
        QJsonArray a;
        for (const Value &x : v.list)
            a.append(argument(e, x));
        return a;
    }
    case Value::Kind::Object: {
        QJsonObject o;
        for (const auto &[k, x] : v.fields)
            o.insert(k, argument(e, x));
        return o;
    }
    }
    return QJsonValue();
}

void GraphqlService::execute(Exec &e, JsonWriter &w, const QList<Selection> &selections, const Obj &parent,
                             const QStringList &path) {
    // Collect fields (spec 6.3.2): fragments that apply to the runtime type, @skip/@include, merged response keys.
    QList<QString> order;
    QHash<QString, QList<const Selection *>> byKey;
    std::function<void(const QList<Selection> &)> collect = [&](const QList<Selection> &list) {
        for (const Selection &s : list) {
            bool included = true;
            for (const graphql::Directive &d : s.directives) {
                for (const auto &[name, value] : d.arguments) {
                    if (name == QLatin1String("if")) {
                        const bool flag = argument(e, value).toBool();
                        if ((d.name == QLatin1String("skip") && flag) || (d.name == QLatin1String("include") && !flag))
                            included = false;
                    }
                }
            }
            if (!included)
                continue;
            if (s.kind == Selection::Kind::Field) {
                if (!byKey.contains(s.responseKey()))
                    order << s.responseKey();
                byKey[s.responseKey()] << &s;
            } else if (s.kind == Selection::Kind::InlineFragment) {
                if (typeMatches(parent.type, s.typeCondition))
                    collect(s.selections);
            } else {
                const auto it = e.doc.fragments.constFind(s.name);
                if (it != e.doc.fragments.constEnd() && typeMatches(parent.type, it->typeCondition))
                    collect(it->selections);
            }
        }
    };
    collect(selections);
    w.beginObject();
    for (const QString &key : std::as_const(order)) {
        const QList<const Selection *> &fields = byKey[key];
        const Selection &s = *fields.first();
        w.key(key);
        const QStringList here = path + QStringList{key};
        if (s.name == QLatin1String("__typename")) {
            w.value(parent.type);
            continue;
        }
        QJsonObject args;
        for (const auto &[name, value] : s.arguments)
            args.insert(name, argument(e, value));
        QList<Selection> merged;
        for (const Selection *f : fields)
            merged += f->selections;
        const Val v = parent.type == QLatin1String("Query")      ? resolveQuery(e, s.name, args, s, here)
                      : parent.type == QLatin1String("Mutation") ? resolveMutation(e, s.name, args, s, here)
                                                                 : resolve(e, parent, s.name, args, s, here);
        writeValue(e, w, v, merged, here);
    }
    w.endObject();
}

void GraphqlService::writeValue(Exec &e, JsonWriter &w, const Val &v, const QList<Selection> &selections,
                                const QStringList &path) {
    switch (v.kind) {
    case Val::Kind::Null:
        w.null();
        return;
    case Val::Kind::Scalar:
        w.value(v.scalar);
        return;
    case Val::Kind::Object:
        execute(e, w, selections, v.obj, path);
        return;
    case Val::Kind::List:
        w.beginArray();
        for (qsizetype i = 0; i < v.list.size(); ++i)
            writeValue(e, w, v.list[i], selections, path + QStringList{QString::number(i)});
        w.endArray();
        return;
    }
}

int GraphqlService::cost(const QList<Selection> &selections, Exec &e, qint64 multiplier, qint64 *total) const {
    // GitHub's calculation: each connection costs one request per parent object; its `first` multiplies
    // what is nested below. The query costs the sum / 100, at least 1.
    // `nodes(ids:)` is no connection but multiplies what is nested below by the number of ids: reactions of
    // 100 subjects cost 100 requests (GitHub's documented example). Connections asked only for totalCount
    // (no first/last) fetch no nodes and count nothing.
    for (const Selection &s : selections) {
        qint64 inner = multiplier;
        for (const auto &[name, value] : s.arguments) {
            if (name == QLatin1String("first") || name == QLatin1String("last")) {
                *total += multiplier;
                const qint64 n = qMax<qint64>(1, argument(e, value).toInteger());
                inner = multiplier * n;
                e.nodeCount += inner;
            } else if (name == QLatin1String("ids") && s.name == QLatin1String("nodes")) {
                const qint64 n = qMax<qint64>(1, argument(e, value).toArray().size());
                inner = multiplier * n;
                e.nodeCount += inner;
            }
        }
        if (s.kind == Selection::Kind::FragmentSpread) {
            const auto it = e.doc.fragments.constFind(s.name);
            if (it != e.doc.fragments.constEnd() && !e.fragmentStack.contains(s.name)) {
                e.fragmentStack.insert(s.name);
                cost(it->selections, e, inner, total);
                e.fragmentStack.remove(s.name);
            }
        } else {
            cost(s.selections, e, inner, total);
        }
    }
    return int(qMax<qint64>(1, (*total + 50) / 100));
}

HttpResponse GraphqlService::handle(Server::Context &c) {
    if (c.identity.kind == Identity::Kind::Anonymous)
        return Server::message(
            401, QStringLiteral("This endpoint requires you to be authenticated."),
            QStringLiteral(
                "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"));
    if (c.identity.kind == Identity::Kind::AppJwt)
        return Server::message(403, QStringLiteral("Resource not accessible by integration"));
    const QJsonValue queryValue = c.body.value(QStringLiteral("query"));
    if (!queryValue.isString())
        return Server::message(400, QStringLiteral("Problems parsing JSON"));
    QByteArray out;
    JsonWriter w(&out);
    const auto errorsOnly = [&](const QJsonArray &errors) {
        out.clear();
        JsonWriter ew(&out);
        ew.beginObject().field("errors", QJsonValue(errors)).endObject();
        return Server::json(200, out);
    };
    graphql::ParseError parseError;
    const auto doc = graphql::parse(queryValue.toString(), &parseError);
    if (!doc) {
        QJsonObject err{{QStringLiteral("message"), parseError.message},
                        {QStringLiteral("type"), QStringLiteral("PARSE_ERROR")}};
        if (parseError.line > 0)
            err.insert(QStringLiteral("locations"),
                       QJsonArray{QJsonObject{{QStringLiteral("line"), parseError.line},
                                              {QStringLiteral("column"), parseError.column}}});
        return errorsOnly(QJsonArray{err});
    }
    const QString operationName = c.body.value(QStringLiteral("operationName")).toString();
    const graphql::Operation *op = nullptr;
    for (const graphql::Operation &candidate : doc->operations) {
        if (operationName.isEmpty() ? doc->operations.size() == 1 : candidate.name == operationName)
            op = &candidate;
    }
    if (!op)
        return errorsOnly(QJsonArray{
            QJsonObject{{QStringLiteral("type"), QStringLiteral("OPERATION_NOT_FOUND")},
                        {QStringLiteral("message"),
                         operationName.isEmpty() ? QStringLiteral("An operation name is required")
                                                 : QStringLiteral("No operation named \"%1\"").arg(operationName)}}});
    if (op->kind == QLatin1String("subscription"))
        return errorsOnly(
            QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("UNSUPPORTED")},
                                   {QStringLiteral("message"), QStringLiteral("Subscriptions are not supported")}}});
    Exec e{c, *doc, *op, c.body.value(QStringLiteral("variables")).toObject(), {}, 1, false, {}};
    // Variables: declared defaults, then required ones must be present and non-null.
    for (const graphql::VariableDefinition &v : op->variables) {
        if (!e.variables.contains(v.name) && v.defaultValue)
            e.variables.insert(v.name, argument(e, *v.defaultValue));
        const QJsonValue given = e.variables.value(v.name);
        const QString base = QString(v.type).remove(QLatin1Char('!')).remove(QLatin1Char('[')).remove(QLatin1Char(']'));
        const bool wrongType =
            !given.isNull() && !given.isUndefined() && !v.type.startsWith(QLatin1Char('[')) &&
            (((base == QLatin1String("Int") || base == QLatin1String("Float")) && !given.isDouble()) ||
             ((base == QLatin1String("String") || base == QLatin1String("ID")) && !given.isString() &&
              !given.isDouble()) ||
             (base == QLatin1String("Boolean") && !given.isBool()));
        if ((v.type.endsWith(QLatin1Char('!')) && (given.isNull() || given.isUndefined())) || wrongType) {
            e.errors.append(QJsonObject{
                {QStringLiteral("type"), QStringLiteral("variableMismatch")},
                {QStringLiteral("message"),
                 QStringLiteral("Variable $%1 of type %2 was provided invalid value").arg(v.name, v.type)},
                {QStringLiteral("locations"),
                 QJsonArray{QJsonObject{{QStringLiteral("line"), op->line}, {QStringLiteral("column"), op->column}}}}});
            e.invalid = true;
        }
    }
    const QString rootType =
        op->kind == QLatin1String("mutation") ? QStringLiteral("Mutation") : QStringLiteral("Query");
    validate(e, op->selections, rootType, {op->kind}, 0);
    if (e.invalid)
        return errorsOnly(e.errors);
    qint64 total = 0;
    e.cost = cost(op->selections, e, 1, &total);
    if (e.nodeCount > maxNodes)
        return errorsOnly(QJsonArray{QJsonObject{
            {QStringLiteral("type"), QStringLiteral("MAX_NODE_LIMIT_EXCEEDED")},
            {QStringLiteral("message"), QStringLiteral("This query requests up to %1 nodes which exceeds the maximum "
                                                       "limit of 500,000.")
                                            .arg(QLocale(QLocale::English).toString(e.nodeCount))}}});

    if (m_server.m_graphqlSlowNodes > 0 && e.nodeCount > m_server.m_graphqlSlowNodes) {
        // Runs past the time limit: after the delay the gateway answers 502 without a body GitHub wrote, and
        // the query is charged all the same.
        HttpResponse r = Server::message(502, QStringLiteral("Server Error"));
        r.delayMs = m_server.m_graphqlSlowDelayMs;
        r.setHeader("X-Sim-Cost", QByteArray::number(e.cost));
        return r;
    }
    if (m_server.m_graphqlNodeBudget > 0 && e.nodeCount > m_server.m_graphqlNodeBudget) {
        // Too heavy to finish in time: GitHub answers without the data and still charges the query.
        out.clear();
        JsonWriter pw(&out);
        pw.beginObject()
            .nullField("data")
            .field("errors",
                   QJsonValue(QJsonArray{QJsonObject{
                       {QStringLiteral("type"), QStringLiteral("RESOURCE_LIMITS_EXCEEDED")},
                       {QStringLiteral("message"), QStringLiteral("Resource limits for this query exceeded.")}}}))
            .endObject();
        HttpResponse r = Server::json(200, out);
        r.setHeader("X-Sim-Cost", QByteArray::number(e.cost));
        return r;
    }
    Obj root;
    root.type = rootType;
    QByteArray data;
    JsonWriter dw(&data);
    execute(e, dw, op->selections, root, {});
    w.beginObject().key("data").raw(data);
    if (!e.errors.isEmpty())
        w.field("errors", QJsonValue(e.errors));
    w.endObject();
    HttpResponse r = Server::json(200, out);
    r.setHeader("X-Sim-Cost", QByteArray::number(e.cost));
    return r;
}

} // namespace hubsync::githubsim
