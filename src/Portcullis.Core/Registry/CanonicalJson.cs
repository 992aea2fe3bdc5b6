using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Portcullis.Registry;

/// <summary>Canonical JSON for pinning: object keys sorted by ordinal, no insignificant whitespace, so equal meaning gives equal bytes.</summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="element"/> canonically.</summary>
    public static string Canonicalize(JsonElement element) => Encoding.UTF8.GetString(Written(writer => Write(element, writer)).WrittenSpan);

    /// <summary>
    /// Writes the object with <paramref name="members"/> canonically (as <see cref="Canonicalize(JsonElement)"/> would
    /// write it), and returns the text with its <see cref="Hash"/>: a call's arguments arrive as members, and are
    /// neither serialized nor parsed again to get there.
    /// </summary>
    public static (string Text, string Hash) CanonicalizeAndHash(IEnumerable<KeyValuePair<string, JsonElement>> members)
    {
        var utf8 = Written(writer => WriteObject(members, writer)).WrittenSpan;
        return (Encoding.UTF8.GetString(utf8), HexSha256(utf8));
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string Hash(string canonical) => HexSha256(Encoding.UTF8.GetBytes(canonical));

    private static string HexSha256(ReadOnlySpan<byte> utf8) => Convert.ToHexStringLower(SHA256.HashData(utf8));

    /// <summary>Indented form of canonical JSON, for readable diffs.</summary>
    public static string Pretty(string canonical)
    {
        using var document = JsonDocument.Parse(canonical);
        return JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static void Write(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value)), writer);
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(item, writer);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static void WriteObject(IEnumerable<KeyValuePair<string, JsonElement>> members, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            writer.WritePropertyName(name);
            Write(value, writer);
        }

        writer.WriteEndObject();
    }

    private static System.Buffers.ArrayBufferWriter<byte> Written(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer;
    }
}
