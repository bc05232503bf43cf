#pragma once

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>
#include <optional>

namespace hubsync::githubsim::graphql {

// A GraphQL document as GitHub's parser sees it (the executable subset of the October 2021 spec:
// operations, variables with defaults, arguments with input objects/lists/enums, aliases, fragments,
// inline fragments and the @include/@skip directives). Schema definitions are not accepted.

struct Value {
    enum class Kind { Null, Int, Float, String, Boolean, Enum, List, Object, Variable };
    Kind kind = Kind::Null;
    QString text; // scalar text, enum name or variable name
    QList<Value> list;
    QList<QPair<QString, Value>> fields;
};

struct Directive {
    QString name;
    QList<QPair<QString, Value>> arguments;
};

struct Selection {
    enum class Kind { Field, InlineFragment, FragmentSpread };
    Kind kind = Kind::Field;
    QString alias; // empty: the field name
    QString name;  // field name or fragment name
    QList<QPair<QString, Value>> arguments;
    QList<Directive> directives;
    QString typeCondition;
    QList<Selection> selections;
    int line = 0;
    int column = 0;
    [[nodiscard]] QString responseKey() const { return alias.isEmpty() ? name : alias; }
};

struct VariableDefinition {
    QString name;
    QString type; // e.g. "String!", "[ID!]"
    std::optional<Value> defaultValue;
};

struct Operation {
    QString kind = QStringLiteral("query"); // query | mutation | subscription
    QString name;
    QList<VariableDefinition> variables;
    QList<Selection> selections;
    int line = 1;
    int column = 1;
};

struct Fragment {
    QString typeCondition;
    QList<Selection> selections;
};

struct Document {
    QList<Operation> operations;
    QHash<QString, Fragment> fragments;
};

struct ParseError {
    QString message;
    int line = 0;
    int column = 0;
};

// Parses `source`; on failure returns nullopt and GitHub's message ("Parse error on ...").
std::optional<Document> parse(const QString &source, ParseError *error);

} // namespace hubsync::githubsim::graphql
