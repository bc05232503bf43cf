#include "graphqlparser.h"

namespace hubsync::githubsim::graphql {

namespace {

constexpr int maxDepth = 40;
constexpr qsizetype maxSourceChars = 256 * 1024;

struct Token {
    enum class Kind { End, Punct, Name, Int, Float, String };
    Kind kind = Kind::End;
    QString text;
    int line = 1;
    int column = 1;
};

class Parser {
public:
    explicit Parser(const QString &source)
        : m_src(source) {
        advance();
    }

    std::optional<Document> document(ParseError *error) {
        Document doc;
        while (ok() && m_tok.kind != Token::Kind::End) {
            if (isPunct("{")) {
                Operation op;
                op.line = m_tok.line;
                op.column = m_tok.column;
                op.selections = selectionSet(0);
                doc.operations << op;
            } else if (m_tok.kind == Token::Kind::Name && m_tok.text == QLatin1String("fragment")) {
                advance();
                const QString name = expectName();
                if (ok() && (m_tok.kind != Token::Kind::Name || m_tok.text != QLatin1String("on")))
                    fail();
                advance();
                Fragment f;
                f.typeCondition = expectName();
                directives();
                f.selections = selectionSet(0);
                if (ok() && doc.fragments.contains(name))
                    fail(QStringLiteral("Fragment name \"%1\" must be unique").arg(name));
                doc.fragments.insert(name, f);
            } else if (m_tok.kind == Token::Kind::Name &&
                       (m_tok.text == QLatin1String("query") || m_tok.text == QLatin1String("mutation") ||
                        m_tok.text == QLatin1String("subscription"))) {
                Operation op;
                op.kind = m_tok.text;
                op.line = m_tok.line;
                op.column = m_tok.column;
                advance();
                if (m_tok.kind == Token::Kind::Name)
                    op.name = expectName();
                if (isPunct("(")) {
                    advance();
                    while (ok() && !isPunct(")")) {
                        VariableDefinition v;
                        expectPunct("$");
                        v.name = expectName();
                        expectPunct(":");
                        v.type = type();
                        if (isPunct("=")) {
                            advance();
                            v.defaultValue = value(true, 0);
                        }
                        op.variables << v;
                    }
                    expectPunct(")");
                }
                directives();
                op.selections = selectionSet(0);
                doc.operations << op;
            } else {
                fail();
            }
        }
        if (ok() && doc.operations.isEmpty())
            fail(QStringLiteral("Parse error on \"\" (END) at [%1, %2]").arg(m_tok.line).arg(m_tok.column));
        if (!ok()) {
            *error = m_error;
            return std::nullopt;
        }
        return doc;
    }

private:
    [[nodiscard]] bool ok() const { return m_error.message.isEmpty(); }
    [[nodiscard]] bool isPunct(const char *p) const {
        return m_tok.kind == Token::Kind::Punct && m_tok.text == QLatin1String(p);
    }

    void fail(const QString &message = {}) {
        if (!ok())
            return;
        static const char *const kinds[] = {"END", "PUNCT", "IDENTIFIER", "INT", "FLOAT", "STRING"};
        QString kind = QString::fromLatin1(kinds[int(m_tok.kind)]);
        if (m_tok.kind == Token::Kind::Punct) {
            static const QHash<QString, QString> names{
                {QStringLiteral("{"), QStringLiteral("LCURLY")},   {QStringLiteral("}"), QStringLiteral("RCURLY")},
                {QStringLiteral("("), QStringLiteral("LPAREN")},   {QStringLiteral(")"), QStringLiteral("RPAREN")},
                {QStringLiteral("["), QStringLiteral("LBRACKET")}, {QStringLiteral("]"), QStringLiteral("RBRACKET")},
                {QStringLiteral(":"), QStringLiteral("COLON")},    {QStringLiteral("$"), QStringLiteral("VAR_SIGN")},
                {QStringLiteral("!"), QStringLiteral("BANG")},     {QStringLiteral("="), QStringLiteral("EQUALS")},
                {QStringLiteral("@"), QStringLiteral("DIR_SIGN")}, {QStringLiteral("..."), QStringLiteral("ELLIPSIS")}};
            kind = names.value(m_tok.text, QStringLiteral("PUNCT"));
        }
        m_error.message = message.isEmpty() ? QStringLiteral("Parse error on \"%1\" (%2) at [%3, %4]")
                                                  .arg(m_tok.text, kind)
                                                  .arg(m_tok.line)
                                                  .arg(m_tok.column)
                                            : message;
        m_error.line = m_tok.line;
        m_error.column = m_tok.column;
        m_tok.kind = Token::Kind::End;
    }

    void advance() {
        if (!ok())
            return;
        // Skip whitespace, commas (insignificant in GraphQL), comments and a BOM.
        while (m_pos < m_src.size()) {
            const QChar c = m_src[m_pos];
            if (c == QLatin1Char('\n')) {
                ++m_line;
                m_lineStart = m_pos + 1;
                ++m_pos;
            } else if (c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\r') ||
                       c == QLatin1Char(',') || c == QChar(0xFEFF)) {
                ++m_pos;
            } else if (c == QLatin1Char('#')) {
                while (m_pos < m_src.size() && m_src[m_pos] != QLatin1Char('\n'))
                    ++m_pos;
            } else {
                break;
            }
        }
        m_tok = Token{};
        m_tok.line = m_line;
        m_tok.column = int(m_pos - m_lineStart) + 1;
        if (m_pos >= m_src.size())
            return;
        const QChar c = m_src[m_pos];
        if (m_src.mid(m_pos, 3) == QLatin1String("...")) {
            m_tok.kind = Token::Kind::Punct;
            m_tok.text = QStringLiteral("...");
            m_pos += 3;
        } else if (QStringLiteral("!$()/:=@[]{}|&").contains(c)) {
            m_tok.kind = Token::Kind::Punct;
            m_tok.text = c;
            ++m_pos;
        } else if (c.isLetter() || c == QLatin1Char('_')) {
            const qsizetype start = m_pos;
            while (m_pos < m_src.size() && (m_src[m_pos].isLetterOrNumber() || m_src[m_pos] == QLatin1Char('_')))
                ++m_pos;
            m_tok.kind = Token::Kind::Name;
            m_tok.text = m_src.mid(start, m_pos - start);
        } else if (c.isDigit() || c == QLatin1Char('-')) {
            const qsizetype start = m_pos;
            ++m_pos;
            bool isFloat = false;
            while (m_pos < m_src.size()) {
                const QChar d = m_src[m_pos];
                if (d.isDigit()) {
                    ++m_pos;
                } else if (d == QLatin1Char('.') || d == QLatin1Char('e') || d == QLatin1Char('E') ||
                           ((d == QLatin1Char('+') || d == QLatin1Char('-')) && isFloat)) {
                    isFloat = true;
                    ++m_pos;
                } else {
                    break;
                }
            }
            m_tok.kind = isFloat ? Token::Kind::Float : Token::Kind::Int;
            m_tok.text = m_src.mid(start, m_pos - start);
        } else if (c == QLatin1Char('"')) {
            string();
        } else {
            m_tok.kind = Token::Kind::Punct;
            m_tok.text = c;
            fail();
        }
    }

    void string() {
        m_tok.kind = Token::Kind::String;
        if (m_src.mid(m_pos, 3) == QLatin1String("\"\"\"")) { // block string: raw up to the closing triple quote
            const qsizetype end = m_src.indexOf(QLatin1String("\"\"\""), m_pos + 3);
            if (end < 0) {
                fail(QStringLiteral("Parse error on unterminated string"));
                return;
            }
            m_tok.text = m_src.mid(m_pos + 3, end - m_pos - 3).trimmed();
            m_line += int(m_tok.text.count(QLatin1Char('\n')));
            m_pos = end + 3;
            return;
        }
        ++m_pos;
        QString out;
        while (m_pos < m_src.size() && m_src[m_pos] != QLatin1Char('"')) {
            QChar c = m_src[m_pos++];
            if (c == QLatin1Char('\n')) {
                fail(QStringLiteral("Parse error on unterminated string"));
                return;
            }
            if (c == QLatin1Char('\\') && m_pos < m_src.size()) {
                const QChar e = m_src[m_pos++];
                switch (e.unicode()) {
                case 'n':
                    c = QLatin1Char('\n');
                    break;
                case 't':
                    c = QLatin1Char('\t');
                    break;
                case 'r':
                    c = QLatin1Char('\r');
                    break;
                case 'b':
                    c = QLatin1Char('\b');
                    break;
                case 'f':
                    c = QLatin1Char('\f');
                    break;
                case 'u': {
                    bool hexOk = false;
                    const ushort code = m_src.mid(m_pos, 4).toUShort(&hexOk, 16);
                    if (!hexOk) {
                        fail(QStringLiteral("Parse error on bad Unicode escape sequence"));
                        return;
                    }
                    m_pos += 4;
                    c = QChar(code);
                    break;
                }
                default:
                    c = e;
                }
            }
            out += c;
        }
        if (m_pos >= m_src.size()) {
            fail(QStringLiteral("Parse error on unterminated string"));
            return;
        }
        ++m_pos;
        m_tok.text = out;
    }

    QString expectName() {
        if (m_tok.kind != Token::Kind::Name) {
            fail();
            return {};
        }
        const QString name = m_tok.text;
        advance();
        return name;
    }

    void expectPunct(const char *p) {
        if (!isPunct(p))
            fail();
        advance();
    }

    QString type() {
        QString t;
        if (isPunct("[")) {
            advance();
            t = QLatin1Char('[') + type() + QLatin1Char(']');
            expectPunct("]");
        } else {
            t = expectName();
        }
        if (isPunct("!")) {
            advance();
            t += QLatin1Char('!');
        }
        return t;
    }

    Value value(bool constant, int depth) {
        Value v;
        if (depth > maxDepth) {
            fail(QStringLiteral("Query has too many nested values"));
            return v;
        }
        switch (m_tok.kind) {
        case Token::Kind::Int:
            v.kind = Value::Kind::Int;
            v.text = m_tok.text;
            advance();
            return v;
        case Token::Kind::Float:
            v.kind = Value::Kind::Float;
            v.text = m_tok.text;
            advance();
            return v;
        case Token::Kind::String:
            v.kind = Value::Kind::String;
            v.text = m_tok.text;
            advance();
            return v;
        case Token::Kind::Name:
            if (m_tok.text == QLatin1String("true") || m_tok.text == QLatin1String("false"))
                v.kind = Value::Kind::Boolean;
            else if (m_tok.text == QLatin1String("null"))
                v.kind = Value::Kind::Null;
            else
                v.kind = Value::Kind::Enum;
            v.text = m_tok.text;
            advance();
            return v;
        case Token::Kind::Punct:
            if (isPunct("$") && !constant) {
                advance();
                v.kind = Value::Kind::Variable;
                v.text = expectName();
                return v;
            }
            if (isPunct("[")) {
                advance();
                v.kind = Value::Kind::List;
                while (ok() && !isPunct("]"))
                    v.list << value(constant, depth + 1);
                expectPunct("]");
                return v;
            }
            if (isPunct("{")) {
                advance();
                v.kind = Value::Kind::Object;
                while (ok() && !isPunct("}")) {
                    const QString name = expectName();
                    expectPunct(":");
                    v.fields.append({name, value(constant, depth + 1)});
                }
                expectPunct("}");
                return v;
            }
            break;
        case Token::Kind::End:
            break;
        }
        fail();
        return v;
    }

    QList<QPair<QString, Value>> arguments() {
        QList<QPair<QString, Value>> args;
        if (!isPunct("("))
            return args;
        advance();
        while (ok() && !isPunct(")")) {
            const QString name = expectName();
            expectPunct(":");
            args.append({name, value(false, 0)});
        }
        expectPunct(")");
        return args;
    }

    QList<Directive> directives() {
        QList<Directive> list;
        while (ok() && isPunct("@")) {
            advance();
            Directive d;
            d.name = expectName();
            d.arguments = arguments();
            list << d;
        }
        return list;
    }

    QList<Selection> selectionSet(int depth) {
        QList<Selection> list;
        if (depth > maxDepth) {
            fail(QStringLiteral("Query has depth of %1, which exceeds max depth of %2").arg(depth).arg(maxDepth));
            return list;
        }
        expectPunct("{");
        while (ok() && !isPunct("}")) {
            Selection s;
            s.line = m_tok.line;
            s.column = m_tok.column;
            if (isPunct("...")) {
                advance();
                if (m_tok.kind == Token::Kind::Name && m_tok.text != QLatin1String("on")) {
                    s.kind = Selection::Kind::FragmentSpread;
                    s.name = expectName();
                    s.directives = directives();
                } else {
                    s.kind = Selection::Kind::InlineFragment;
                    if (m_tok.kind == Token::Kind::Name) { // "on Type"
                        advance();
                        s.typeCondition = expectName();
                    }
                    s.directives = directives();
                    s.selections = selectionSet(depth + 1);
                }
            } else {
                s.name = expectName();
                if (isPunct(":")) {
                    advance();
                    s.alias = s.name;
                    s.name = expectName();
                }
                s.arguments = arguments();
                s.directives = directives();
                if (isPunct("{"))
                    s.selections = selectionSet(depth + 1);
            }
            list << s;
        }
        if (ok() && list.isEmpty())
            fail();
        expectPunct("}");
        return list;
    }

    const QString &m_src;
    qsizetype m_pos = 0;
    int m_line = 1;
    qsizetype m_lineStart = 0;
    Token m_tok;
    ParseError m_error;
};

} // namespace

std::optional<Document> parse(const QString &source, ParseError *error) {
    if (source.size() > maxSourceChars) {
        error->message = QStringLiteral("Query is too large");
        return std::nullopt;
    }
    Parser p(source);
    return p.document(error);
}

} // namespace hubsync::githubsim::graphql
