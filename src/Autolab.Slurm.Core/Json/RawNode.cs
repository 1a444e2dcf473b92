using System.Globalization;
using System.Text;

namespace Autolab.Slurm.Json;

/// <summary>
/// A JSON tree that remembers the exact source text of every scalar, so a document can be
/// rewritten with only the values we own changed: numbers such as <c>1.0</c> stay <c>1.0</c>
/// and strings keep their original escaping (autolab-contract.md, "Output format").
/// </summary>
public abstract class RawNode
{
    /// <summary>Python-style truthiness text: what <c>str(value or "").strip()</c> yields, or null for containers.</summary>
    public virtual string? AsText() => null;
}

public enum RawScalarKind
{
    String,
    Number,
    True,
    False,
    Null,
}

public sealed class RawScalar : RawNode
{
    public static readonly RawScalar Null = new(RawScalarKind.Null, "null", null);
    public static readonly RawScalar True = new(RawScalarKind.True, "true", null);
    public static readonly RawScalar False = new(RawScalarKind.False, "false", null);

    // A parsed scalar is a slice of the document's text: its own string, and a string token's decoded
    // value, are made only when asked for. Most values of a large manifest are never read, only written
    // back, so the tree costs a small object per value instead of two copies of its text.
    private readonly ReadOnlyMemory<char> _token;
    private readonly bool _escaped;
    private string? _text;
    private string? _stringValue;

    internal RawScalar(RawScalarKind kind, string text, string? stringValue)
    {
        Kind = kind;
        _text = text;
        _token = text.AsMemory();
        _stringValue = stringValue;
    }

    /// <summary>A token of the parsed text; <paramref name="escaped"/> when a string token holds a backslash.</summary>
    internal RawScalar(RawScalarKind kind, ReadOnlyMemory<char> token, bool escaped)
    {
        Kind = kind;
        _token = token;
        _escaped = escaped;
    }

    public RawScalarKind Kind { get; }

    /// <summary>The token exactly as it appears in the document (strings include their quotes).</summary>
    public string Text => _text ??= _token.ToString();

    /// <summary>The token without making a string of it.</summary>
    internal ReadOnlySpan<char> TextSpan => _token.Span;

    /// <summary>The decoded value of a string token; null for other kinds.</summary>
    public string? StringValue => Kind != RawScalarKind.String ? null : _stringValue ??= Decode();

    private string Decode()
    {
        var inner = _token.Span[1..^1];
        return _escaped ? JsonText.Unescape(inner) : inner.ToString();
    }

    public bool IsString => Kind == RawScalarKind.String;

    public static RawScalar FromString(string value) => new(RawScalarKind.String, JsonText.Quote(value), value);

    public static RawScalar FromInt(long value) =>
        new(RawScalarKind.Number, value.ToString(CultureInfo.InvariantCulture), null);

    public static RawScalar FromNullableInt(long? value) => value is { } v ? FromInt(v) : Null;

    public static RawScalar FromBool(bool value) => value ? True : False;

    internal static RawScalar FromNumberText(string text) => new(RawScalarKind.Number, text, null);

    public bool TryGetInt64(out long value)
    {
        value = 0;
        if (Kind != RawScalarKind.Number)
        {
            return false;
        }

        if (long.TryParse(TextSpan, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        if (double.TryParse(TextSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && Math.Abs(d) < 9.2e18 && Math.Floor(d) == d)
        {
            value = (long)d;
            return true;
        }

        return false;
    }

    public override string? AsText()
    {
        switch (Kind)
        {
            case RawScalarKind.String:
                return StringValue!.Trim();
            case RawScalarKind.Number:
                // Python's `0 or ""` is "": a zero is no value.
                return double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == 0 ? string.Empty : Text;
            case RawScalarKind.True:
                return "True";
            default:
                return string.Empty;
        }
    }

    public bool SameValueAs(RawScalar other) => Kind == other.Kind && TextSpan.SequenceEqual(other.TextSpan);
}

public sealed class RawArray : RawNode
{
    public RawArray()
    {
    }

    public RawArray(IEnumerable<RawNode> items) => Items.AddRange(items);

    public List<RawNode> Items { get; } = new();

    public static RawArray OfStrings(IEnumerable<string> values) => new(values.Select(v => (RawNode)RawScalar.FromString(v)));
}

public sealed class RawProperty
{
    private readonly ReadOnlyMemory<char> _nameToken;
    private string? _nameText;

    public RawProperty(string name, string nameText, RawNode value)
    {
        Name = name;
        _nameText = nameText;
        _nameToken = nameText.AsMemory();
        Value = value;
    }

    /// <summary>A key of the parsed text: its token is a slice of the document, its name shared between equal keys.</summary>
    internal RawProperty(string name, ReadOnlyMemory<char> nameToken, RawNode value)
    {
        Name = name;
        _nameToken = nameToken;
        Value = value;
    }

    public string Name { get; }

    /// <summary>The key exactly as written, quotes included.</summary>
    public string NameText => _nameText ??= _nameToken.ToString();

    internal ReadOnlySpan<char> NameTextSpan => _nameToken.Span;

    internal ReadOnlyMemory<char> NameTextMemory => _nameToken;

    public RawNode Value { get; set; }
}

/// <summary>An object that keeps its keys in document order; new keys go at the end.</summary>
public sealed class RawObject : RawNode
{
    public List<RawProperty> Properties { get; } = new();

    public int Count => Properties.Count;

    /// <summary>The value of <paramref name="name"/>; with duplicate keys the last wins, as in Python's json.</summary>
    public RawNode? Get(string name)
    {
        for (var i = Properties.Count - 1; i >= 0; i--)
        {
            if (string.Equals(Properties[i].Name, name, StringComparison.Ordinal))
            {
                return Properties[i].Value;
            }
        }

        return null;
    }

    public bool Contains(string name) => Get(name) is not null;

    public RawObject? GetObject(string name) => Get(name) as RawObject;

    public RawScalar? GetScalar(string name) => Get(name) as RawScalar;

    /// <summary>The decoded string value, or null when absent or not a string.</summary>
    public string? GetString(string name) => GetScalar(name) is { IsString: true } s ? s.StringValue : null;

    /// <summary>Replaces the value in place (keeping the key's position), or appends the key.</summary>
    public void Set(string name, RawNode value)
    {
        for (var i = Properties.Count - 1; i >= 0; i--)
        {
            if (string.Equals(Properties[i].Name, name, StringComparison.Ordinal))
            {
                Properties[i].Value = value;
                return;
            }
        }

        Properties.Add(new RawProperty(name, JsonText.Quote(name), value));
    }

    /// <summary>Sets a scalar only when the stored one differs, so untouched text keeps its exact form.</summary>
    public void SetScalar(string name, RawScalar value)
    {
        if (Get(name) is RawScalar existing && existing.Kind == value.Kind)
        {
            var same = value.Kind switch
            {
                RawScalarKind.String => string.Equals(existing.StringValue, value.StringValue, StringComparison.Ordinal),
                RawScalarKind.Number => existing.TryGetInt64(out var a) && value.TryGetInt64(out var b) ? a == b : existing.Text == value.Text,
                _ => true,
            };
            if (same)
            {
                return;
            }
        }

        Set(name, value);
    }

    public void SetString(string name, string value) => SetScalar(name, RawScalar.FromString(value));

    public bool Remove(string name) => Properties.RemoveAll(p => string.Equals(p.Name, name, StringComparison.Ordinal)) > 0;

    /// <summary>The child object <paramref name="name"/>, created at the end when absent or not an object.</summary>
    public RawObject GetOrAddObject(string name)
    {
        if (Get(name) is RawObject existing)
        {
            return existing;
        }

        var created = new RawObject();
        Set(name, created);
        return created;
    }

    /// <summary>Follows a path of object keys; null when any step is missing or not an object.</summary>
    public RawNode? GetPath(params string[] path)
    {
        RawNode? current = this;
        foreach (var key in path)
        {
            if (current is not RawObject obj)
            {
                return null;
            }

            current = obj.Get(key);
        }

        return current;
    }

    public string? GetPathText(params string[] path) => GetPath(path)?.AsText();
}

internal static class JsonText
{
    /// <summary>Decodes the inside of a string token whose escapes the parser has already checked.</summary>
    public static string Unescape(ReadOnlySpan<char> inner)
    {
        var sb = new StringBuilder(inner.Length);
        for (var i = 0; i < inner.Length; i++)
        {
            var c = inner[i];
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            var e = inner[++i];
            switch (e)
            {
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    sb.Append((char)int.Parse(inner.Slice(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default:
                    // '"', '\\' and '/' stand for themselves.
                    sb.Append(e);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Encodes a string the way Python's json.dumps(ensure_ascii=False) does: only quotes, backslashes and control characters are escaped.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
        return sb.ToString();
    }
}
