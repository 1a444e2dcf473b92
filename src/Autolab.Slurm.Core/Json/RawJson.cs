using System.Globalization;

namespace Autolab.Slurm.Json;

/// <summary>Thrown when text is not JSON; carries the 1-based line and column of the problem.</summary>
public sealed class RawJsonException : Exception
{
    public RawJsonException(string message, int line, int column)
        : base(string.Create(CultureInfo.InvariantCulture, $"{message} at line {line}, column {column}"))
    {
        Line = line;
        Column = column;
    }

    public int Line { get; }

    public int Column { get; }
}

/// <summary>Parses JSON into a <see cref="RawNode"/> tree and writes it back in autolab's layout.</summary>
public static class RawJson
{
    public static RawNode Parse(string text)
    {
        var parser = new Parser(text);
        return parser.ParseDocument();
    }

    /// <summary>
    /// Writes the tree as Python's <c>json.dumps(obj, indent=2)</c> lays it out (2-space indent,
    /// <c>": "</c> and <c>","</c> separators, empty containers as <c>{}</c>/<c>[]</c>), followed by one newline.
    /// Scalars are written with their stored text.
    /// </summary>
    public static string Write(RawNode node)
    {
        // Measured first, then written straight into the string: one copy of a large document, not two.
        var length = checked(Measure(node, 0) + 1);
        return string.Create(length, node, static (span, root) =>
        {
            var written = WriteNode(span, root, 0);
            span[written] = '\n';
        });
    }

    /// <summary>The length <see cref="WriteNode(Span{char}, RawNode, int)"/> gives.</summary>
    private static int Measure(RawNode node, int depth)
    {
        switch (node)
        {
            case RawScalar scalar:
                return scalar.TextSpan.Length;
            case RawArray array:
                {
                    if (array.Items.Count == 0)
                    {
                        return 2;
                    }

                    // "[" + per item (",\n" or "\n", indent) + "\n" + indent + "]"
                    var length = 1 + (2 * array.Items.Count) - 1 + 1 + (depth * 2) + 1;
                    foreach (var item in array.Items)
                    {
                        length = checked(length + ((depth + 1) * 2) + Measure(item, depth + 1));
                    }

                    return length;
                }

            case RawObject obj:
                {
                    if (obj.Properties.Count == 0)
                    {
                        return 2;
                    }

                    var length = 1 + (2 * obj.Properties.Count) - 1 + 1 + (depth * 2) + 1;
                    foreach (var property in obj.Properties)
                    {
                        length = checked(length + ((depth + 1) * 2) + property.NameTextSpan.Length + 2 + Measure(property.Value, depth + 1));
                    }

                    return length;
                }

            default:
                throw new InvalidOperationException("Unknown node type " + node.GetType().Name);
        }
    }

    /// <summary>Whether <see cref="Write"/> gives the same text for both trees, without writing either.</summary>
    public static bool WritesSame(RawNode a, RawNode b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        switch (a)
        {
            case RawScalar sa:
                return b is RawScalar sb && sa.TextSpan.SequenceEqual(sb.TextSpan);
            case RawArray aa:
                {
                    if (b is not RawArray ab || aa.Items.Count != ab.Items.Count)
                    {
                        return false;
                    }

                    for (var i = 0; i < aa.Items.Count; i++)
                    {
                        if (!WritesSame(aa.Items[i], ab.Items[i]))
                        {
                            return false;
                        }
                    }

                    return true;
                }

            case RawObject oa:
                {
                    if (b is not RawObject ob || oa.Properties.Count != ob.Properties.Count)
                    {
                        return false;
                    }

                    for (var i = 0; i < oa.Properties.Count; i++)
                    {
                        if (!oa.Properties[i].NameTextSpan.SequenceEqual(ob.Properties[i].NameTextSpan)
                            || !WritesSame(oa.Properties[i].Value, ob.Properties[i].Value))
                        {
                            return false;
                        }
                    }

                    return true;
                }

            default:
                throw new InvalidOperationException("Unknown node type " + a.GetType().Name);
        }
    }

    /// <summary>
    /// A copy of <paramref name="obj"/> whose members can be set and removed without touching the original; the
    /// values of <paramref name="deep"/> members are copied too (they may be changed in place), the others are
    /// shared and must not be changed.
    /// </summary>
    public static RawObject CopyMembers(RawObject obj, IReadOnlySet<string> deep)
    {
        var copy = new RawObject();
        copy.Properties.Capacity = obj.Properties.Count;
        foreach (var property in obj.Properties)
        {
            copy.Properties.Add(new RawProperty(property.Name, property.NameTextMemory, deep.Contains(property.Name) ? Copy(property.Value) : property.Value));
        }

        return copy;
    }

    /// <summary>A copy of the tree whose objects and arrays can be changed without touching the original; scalars, which never change, are shared.</summary>
    public static RawNode Copy(RawNode node)
    {
        switch (node)
        {
            case RawObject obj:
                {
                    var copy = new RawObject();
                    copy.Properties.Capacity = obj.Properties.Count;
                    foreach (var property in obj.Properties)
                    {
                        copy.Properties.Add(new RawProperty(property.Name, property.NameTextMemory, Copy(property.Value)));
                    }

                    return copy;
                }

            case RawArray array:
                {
                    var copy = new RawArray();
                    copy.Items.Capacity = array.Items.Count;
                    foreach (var item in array.Items)
                    {
                        copy.Items.Add(Copy(item));
                    }

                    return copy;
                }

            default:
                return node;
        }
    }

    /// <summary>Writes the node at the start of <paramref name="span"/>; returns the number of characters written.</summary>
    private static int WriteNode(Span<char> span, RawNode node, int depth)
    {
        switch (node)
        {
            case RawScalar scalar:
                scalar.TextSpan.CopyTo(span);
                return scalar.TextSpan.Length;
            case RawArray array:
                {
                    if (array.Items.Count == 0)
                    {
                        "[]".CopyTo(span);
                        return 2;
                    }

                    var at = 0;
                    span[at++] = '[';
                    for (var i = 0; i < array.Items.Count; i++)
                    {
                        at += Separator(span[at..], i, depth + 1);
                        at += WriteNode(span[at..], array.Items[i], depth + 1);
                    }

                    at += Close(span[at..], depth, ']');
                    return at;
                }

            case RawObject obj:
                {
                    if (obj.Properties.Count == 0)
                    {
                        "{}".CopyTo(span);
                        return 2;
                    }

                    var at = 0;
                    span[at++] = '{';
                    for (var i = 0; i < obj.Properties.Count; i++)
                    {
                        at += Separator(span[at..], i, depth + 1);
                        var name = obj.Properties[i].NameTextSpan;
                        name.CopyTo(span[at..]);
                        at += name.Length;
                        span[at++] = ':';
                        span[at++] = ' ';
                        at += WriteNode(span[at..], obj.Properties[i].Value, depth + 1);
                    }

                    at += Close(span[at..], depth, '}');
                    return at;
                }

            default:
                throw new InvalidOperationException("Unknown node type " + node.GetType().Name);
        }
    }

    /// <summary>"\n" before the first member, ",\n" before the others, then the member's indent.</summary>
    private static int Separator(Span<char> span, int index, int depth)
    {
        var at = 0;
        if (index > 0)
        {
            span[at++] = ',';
        }

        span[at++] = '\n';
        span.Slice(at, depth * 2).Fill(' ');
        return at + (depth * 2);
    }

    private static int Close(Span<char> span, int depth, char bracket)
    {
        span[0] = '\n';
        span.Slice(1, depth * 2).Fill(' ');
        span[1 + (depth * 2)] = bracket;
        return 2 + (depth * 2);
    }

    private sealed class Parser
    {
        private const int MaxDepth = 256;
        private readonly string _text;
        private readonly NameCache _names = new();
        private int _pos;

        public Parser(string text)
        {
            _text = text;
            // A UTF-8 BOM is tolerated on input (Python's utf-8-sig readers write one); we never write it.
            if (_text.Length > 0 && _text[0] == '\uFEFF')
            {
                _pos = 1;
            }
        }

        public RawNode ParseDocument()
        {
            SkipWhitespace();
            var node = ParseValue(0);
            SkipWhitespace();
            if (_pos < _text.Length)
            {
                throw Error("Unexpected text after the JSON value");
            }

            return node;
        }

        private RawNode ParseValue(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error("Nesting too deep");
            }

            if (_pos >= _text.Length)
            {
                throw Error("Unexpected end of text");
            }

            var c = _text[_pos];
            switch (c)
            {
                case '{':
                    return ParseObject(depth);
                case '[':
                    return ParseArray(depth);
                case '"':
                    {
                        var start = _pos;
                        var escaped = ScanString();
                        return new RawScalar(RawScalarKind.String, _text.AsMemory(start, _pos - start), escaped);
                    }

                case 't':
                    ExpectLiteral("true");
                    return RawScalar.True;
                case 'f':
                    ExpectLiteral("false");
                    return RawScalar.False;
                case 'n':
                    ExpectLiteral("null");
                    return RawScalar.Null;
                case 'N':
                    // Python's json module reads and writes NaN and Infinity; keep them as written.
                    ExpectLiteral("NaN");
                    return RawScalar.FromNumberText("NaN");
                case 'I':
                    ExpectLiteral("Infinity");
                    return RawScalar.FromNumberText("Infinity");
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return ParseNumber();
                    }

                    throw Error(string.Create(CultureInfo.InvariantCulture, $"Unexpected character '{c}'"));
            }
        }

        private RawObject ParseObject(int depth)
        {
            var obj = new RawObject();
            _pos++; // {
            SkipWhitespace();
            if (Peek() == '}')
            {
                _pos++;
                return obj;
            }

            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"')
                {
                    throw Error("Expected a property name in double quotes");
                }

                var start = _pos;
                var escaped = ScanString();
                var nameToken = _text.AsMemory(start, _pos - start);
                var name = escaped ? JsonText.Unescape(nameToken.Span[1..^1]) : _names.Get(nameToken.Span[1..^1]);
                SkipWhitespace();
                if (Peek() != ':')
                {
                    throw Error("Expected ':' after a property name");
                }

                _pos++;
                SkipWhitespace();
                var value = ParseValue(depth + 1);
                obj.Properties.Add(new RawProperty(name, nameToken, value));
                SkipWhitespace();
                var c = Peek();
                if (c == ',')
                {
                    _pos++;
                    continue;
                }

                if (c == '}')
                {
                    _pos++;
                    return obj;
                }

                throw Error("Expected ',' or '}' in an object");
            }
        }

        private RawArray ParseArray(int depth)
        {
            var array = new RawArray();
            _pos++; // [
            SkipWhitespace();
            if (Peek() == ']')
            {
                _pos++;
                return array;
            }

            while (true)
            {
                SkipWhitespace();
                array.Items.Add(ParseValue(depth + 1));
                SkipWhitespace();
                var c = Peek();
                if (c == ',')
                {
                    _pos++;
                    continue;
                }

                if (c == ']')
                {
                    _pos++;
                    return array;
                }

                throw Error("Expected ',' or ']' in an array");
            }
        }

        /// <summary>
        /// Checks the string token at the position (escapes, no raw control characters) and moves past it.
        /// Returns whether it holds a backslash, i.e. whether its value differs from the text between its quotes.
        /// </summary>
        private bool ScanString()
        {
            _pos++; // opening quote
            var escaped = false;
            while (true)
            {
                var rest = _text.AsSpan(_pos);
                var stop = rest.IndexOfAny('"', '\\');
                var plain = stop < 0 ? rest : rest[..stop];
                var control = plain.IndexOfAnyInRange('\0', '\u001f');
                if (control >= 0)
                {
                    _pos += control;
                    throw Error("Control character in a string");
                }

                if (stop < 0)
                {
                    _pos = _text.Length;
                    throw Error("Unterminated string");
                }

                _pos += stop + 1;
                if (rest[stop] == '"')
                {
                    return escaped;
                }

                escaped = true;
                if (_pos >= _text.Length)
                {
                    throw Error("Unterminated escape");
                }

                var e = _text[_pos++];
                switch (e)
                {
                    case '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't':
                        break;
                    case 'u':
                        if (_pos + 4 > _text.Length
                            || !int.TryParse(_text.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _))
                        {
                            throw Error("Invalid \\u escape");
                        }

                        _pos += 4;
                        break;
                    default:
                        _pos--;
                        throw Error("Invalid escape sequence");
                }
            }
        }

        private RawScalar ParseNumber()
        {
            var start = _pos;
            if (Peek() == '-')
            {
                _pos++;
                if (Peek() == 'I')
                {
                    ExpectLiteral("Infinity");
                    return RawScalar.FromNumberText("-Infinity");
                }
            }

            if (Peek() == '0')
            {
                _pos++;
            }
            else if (IsDigit(Peek()))
            {
                while (IsDigit(Peek()))
                {
                    _pos++;
                }
            }
            else
            {
                throw Error("Invalid number");
            }

            if (Peek() == '.')
            {
                _pos++;
                if (!IsDigit(Peek()))
                {
                    throw Error("Invalid number: digits expected after '.'");
                }

                while (IsDigit(Peek()))
                {
                    _pos++;
                }
            }

            if (Peek() is 'e' or 'E')
            {
                _pos++;
                if (Peek() is '+' or '-')
                {
                    _pos++;
                }

                if (!IsDigit(Peek()))
                {
                    throw Error("Invalid number: digits expected in the exponent");
                }

                while (IsDigit(Peek()))
                {
                    _pos++;
                }
            }

            return new RawScalar(RawScalarKind.Number, _text.AsMemory(start, _pos - start), escaped: false);
        }

        private void ExpectLiteral(string literal)
        {
            if (string.CompareOrdinal(_text, _pos, literal, 0, literal.Length) != 0)
            {
                throw Error("Invalid literal");
            }

            _pos += literal.Length;
        }

        private static bool IsDigit(char c) => c >= '0' && c <= '9';

        private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

        private void SkipWhitespace()
        {
            while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r')
            {
                _pos++;
            }
        }

        private RawJsonException Error(string message)
        {
            var line = 1;
            var column = 1;
            for (var i = 0; i < _pos && i < _text.Length; i++)
            {
                if (_text[i] == '\n')
                {
                    line++;
                    column = 1;
                }
                else
                {
                    column++;
                }
            }

            return new RawJsonException(message, line, column);
        }
    }

    /// <summary>
    /// Key names by their text: a manifest repeats the same few keys (loss, path, state) thousands of times, and
    /// each repetition shares one string. A slot holds the last name that hashed to it, so a miss costs one string.
    /// </summary>
    private sealed class NameCache
    {
        private readonly string?[] _slots = new string?[1024];

        public string Get(ReadOnlySpan<char> name)
        {
            var slot = string.GetHashCode(name) & (_slots.Length - 1);
            if (_slots[slot] is { } cached && name.SequenceEqual(cached))
            {
                return cached;
            }

            var created = name.ToString();
            _slots[slot] = created;
            return created;
        }
    }
}
