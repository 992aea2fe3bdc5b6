using System.Text.Encodings.Web;
using System.Text.Json;

namespace Portcullis.Audit;

/// <summary>
/// Writes an <see cref="AuditRecord"/> as the JSON its hash covers: property by property, in declaration order, the
/// same bytes <see cref="JsonSerializer"/> writes for it with <see cref="Options"/> (a test holds the two equal, so
/// chains written by either verify with the other). Every governed call's record is written once on the hot path;
/// the reflection-driven serializer spent about twice as long on it.
/// </summary>
public static class AuditRecordJson
{
    /// <summary>The serializer options the record's JSON matches (and reads back with).</summary>
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A thread keeps its buffer for the next record up to this size; a larger one (huge arguments) is let go.</summary>
    private const int RetainedBufferBytes = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    [ThreadStatic]
    private static System.Buffers.ArrayBufferWriter<byte>? _buffer;

    /// <summary>
    /// The record's JSON, UTF-8, with the chain's fields given (no copy of the record to change them), in a buffer of
    /// this thread's that the next call on the thread reuses.
    /// </summary>
    internal static ReadOnlySpan<byte> WriteToThreadBuffer(AuditRecord record, long seq, string prevHash, string hash)
    {
        var buffer = _buffer is { Capacity: <= RetainedBufferBytes } kept ? kept : _buffer = new System.Buffers.ArrayBufferWriter<byte>(2048);
        buffer.ResetWrittenCount();
        var writer = _writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        Write(writer, record, seq, prevHash, hash);
        writer.Flush();
        return buffer.WrittenSpan;
    }

    private static void Write(Utf8JsonWriter writer, AuditRecord record, long seq, string prevHash, string hash)
    {
        writer.WriteStartObject();
        writer.WriteNumber("Seq"u8, seq);
        writer.WriteString("Time"u8, record.Time);
        writer.WriteString("Kind"u8, record.Kind);
        String(writer, "TraceId"u8, record.TraceId);
        String(writer, "Subject"u8, record.Subject);
        String(writer, "Agent"u8, record.Agent);
        String(writer, "Tenant"u8, record.Tenant);
        Strings(writer, "Roles"u8, record.Roles);
        String(writer, "AuthMethod"u8, record.AuthMethod);
        String(writer, "TokenId"u8, record.TokenId);
        String(writer, "SessionId"u8, record.SessionId);
        String(writer, "ServerId"u8, record.ServerId);
        String(writer, "Target"u8, record.Target);
        String(writer, "PinHash"u8, record.PinHash);
        String(writer, "Arguments"u8, record.Arguments);
        String(writer, "ArgumentsHash"u8, record.ArgumentsHash);
        Strings(writer, "Stages"u8, record.Stages);
        String(writer, "PolicyRule"u8, record.PolicyRule);
        String(writer, "PolicyVersion"u8, record.PolicyVersion);
        String(writer, "Outcome"u8, record.Outcome);
        String(writer, "Reason"u8, record.Reason);
        String(writer, "ResultSummary"u8, record.ResultSummary);
        Strings(writer, "Actions"u8, record.Actions);
        writer.WriteNumber("LatencyMs"u8, record.LatencyMs);
        String(writer, "PrevHash"u8, prevHash);
        String(writer, "Hash"u8, hash);
        writer.WriteEndObject();
    }

    private static void String(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void Strings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            writer.WriteNull(name);
            return;
        }

        writer.WriteStartArray(name);
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } value)
            {
                writer.WriteStringValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
    }
}
