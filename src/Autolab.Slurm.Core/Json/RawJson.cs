using System.Globalization;
using System.Text;

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
        var sb = new StringBuilder();
        WriteNode(sb, node, 0);
        sb.Append('\n');
        return sb.ToString();
    }

    private static void WriteNode(StringBuilder sb, RawNode node, int depth)
    {
        switch (node)
        {
            case RawScalar scalar:
                sb.Append(scalar.Text);
                break;
            case RawArray array:
                if (array.Items.Count == 0)
                {
                    sb.Append("[]");
                    break;
                }

                sb.Append('[');
                for (var i = 0; i < array.Items.Count; i++)
                {
                    sb.Append(i == 0 ? "\n" : ",\n");
                    Indent(sb, depth + 1);
                    WriteNode(sb, array.Items[i], depth + 1);
                }

                sb.Append('\n');
                Indent(sb, depth);
                sb.Append(']');
                break;
            case RawObject obj:
                if (obj.Properties.Count == 0)
                {
                    sb.Append("{}");
                    break;
                }

                sb.Append('{');
                for (var i = 0; i < obj.Properties.Count; i++)
                {
                    sb.Append(i == 0 ? "\n" : ",\n");
                    Indent(sb, depth + 1);
                    sb.Append(obj.Properties[i].NameText).Append(": ");
                    WriteNode(sb, obj.Properties[i].Value, depth + 1);
                }

                sb.Append('\n');
                Indent(sb, depth);
                sb.Append('}');
                break;
            default:
                throw new InvalidOperationException("Unknown node type " + node.GetType().Name);
        }
    }

    private static void Indent(StringBuilder sb, int depth) => sb.Append(' ', depth * 2);

    private sealed class Parser
    {
        private const int MaxDepth = 256;
        private readonly string _text;
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
                        var value = ParseString();
                        return new RawScalar(RawScalarKind.String, _text[start.._pos], value);
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
                var name = ParseString();
                var nameText = _text[start.._pos];
                SkipWhitespace();
                if (Peek() != ':')
                {
                    throw Error("Expected ':' after a property name");
                }

                _pos++;
                SkipWhitespace();
                var value = ParseValue(depth + 1);
                obj.Properties.Add(new RawProperty(name, nameText, value));
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

        private string ParseString()
        {
            _pos++; // opening quote
            var sb = new StringBuilder();
            while (true)
            {
                if (_pos >= _text.Length)
                {
                    throw Error("Unterminated string");
                }

                var c = _text[_pos++];
                if (c == '"')
                {
                    return sb.ToString();
                }

                if (c == '\\')
                {
                    if (_pos >= _text.Length)
                    {
                        throw Error("Unterminated escape");
                    }

                    var e = _text[_pos++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (_pos + 4 > _text.Length
                                || !int.TryParse(_text.AsSpan(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                            {
                                throw Error("Invalid \\u escape");
                            }

                            sb.Append((char)code);
                            _pos += 4;
                            break;
                        default:
                            _pos--;
                            throw Error("Invalid escape sequence");
                    }
                }
                else if (c < 0x20)
                {
                    _pos--;
                    throw Error("Control character in a string");
                }
                else
                {
                    sb.Append(c);
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

            return RawScalar.FromNumberText(_text[start.._pos]);
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
}
