using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace AdoptionEvents.Hosting.Http;

/// <summary>
/// Reads a JSON body whose concrete type the body itself names (Wolverine binds only concrete body
/// types). Every failure is a refusal that names the field: malformed JSON, a missing or unknown
/// "type", unknown or missing members, wrong types, or a body over the size limit (413).
/// </summary>
public sealed class JsonBody(IOptions<JsonOptions> json, IConfiguration configuration)
{
    private readonly long _limit = configuration.GetValue("Api:MaxCommandBytes", 256 * 1024);

    public async Task<(T? Value, Refusal? Refusal)> ReadAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (request.ContentLength > _limit)
        {
            return (null, TooLarge());
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > _limit)
            {
                return (null, TooLarge());
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, Refusal.BadInput("body", "required", "the request has no JSON body"));
        }

        buffer.Position = 0;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(buffer, json.Value.SerializerOptions, ct);
            return value is null ? (null, Refusal.BadInput("body", "required", "the body is null")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Refusal.BadInput(string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.'), "json", e.Message));
        }
        catch (NotSupportedException e) when (e.Message.Contains("abstract", StringComparison.Ordinal) || e.Message.Contains("discriminator", StringComparison.Ordinal))
        {
            return (null, Refusal.BadInput("type", "required", "the body must name its event in \"type\" (GET /api/vocabularies lists them)"));
        }
    }

    private Refusal TooLarge() => new(413, "body", "max-size", $"the body is larger than {_limit} bytes (Api:MaxCommandBytes)");
}
