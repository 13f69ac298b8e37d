namespace AdoptionEvents.IntegrationTests.Integration;

public sealed record ServerSentEvent(string? Id, string? Event, string Data);

/// <summary>Reads a text/event-stream response, event by event, as a browser's EventSource would.</summary>
public sealed class ServerSentEventReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream);

    public void Dispose() => _reader.Dispose();

    /// <summary>The next event that carries an id (keep-alives are skipped).</summary>
    public async Task<ServerSentEvent> NextAsync(CancellationToken ct)
    {
        string? id = null, type = null;
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("the event stream ended");
            if (line.Length == 0)
            {
                if (id is not null)
                {
                    return new ServerSentEvent(id, type, string.Join('\n', data));
                }

                (type, data) = (null, []);
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data.Add(value); break;
            }
        }
    }
}
