using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AdoptionEvents.IntegrationTests.Integration;

/// <summary>One POST a receiver answered: what came, and the status it answered with.</summary>
public sealed record ReceivedRequest(int Number, int Status, string Body, string Signature, string DeliveryId, long ReceivedAt)
{
    public JsonElement CloudEvent => JsonDocument.Parse(Body).RootElement;

    public Guid EventId => CloudEvent.GetProperty("id").GetGuid();

    public long Sequence => CloudEvent.GetProperty("sequence").GetInt64();

    public bool Accepted => Status is >= 200 and < 300;
}

/// <summary>
/// A real HTTP server on loopback (Kestrel on 127.0.0.1, a free port) that records every webhook
/// delivery and answers with the status <see cref="Respond"/> picks for the n-th request.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<ReceivedRequest> _received = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The status to answer the n-th request (1-based) with.</summary>
    public Func<int, int> Respond { get; set; } = _ => 200;

    public string Url { get; private set; } = "";

    public IReadOnlyList<ReceivedRequest> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public IReadOnlyList<ReceivedRequest> Accepted => [.. Received.Where(r => r.Accepted)];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", (Delegate)receiver.HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        receiver.Url = app.Urls.Single() + "/hook";
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        TaskCompletionSource arrived;
        int status;
        lock (_gate)
        {
            var number = _received.Count + 1;
            status = Respond(number);
            _received.Add(new ReceivedRequest(number, status, body, http.Request.Headers["X-AdoptionEvents-Signature"].ToString(),
                http.Request.Headers["X-AdoptionEvents-Delivery"].ToString(), Stopwatch.GetTimestamp()));
            arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.TrySetResult();
        return Results.StatusCode(status);
    }

    /// <summary>Waits, request by request, until <paramref name="done"/> holds; fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(Func<IReadOnlyList<ReceivedRequest>, bool> done, TimeSpan? timeout = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (done(_received))
                {
                    return [.. _received];
                }

                next = _arrived.Task;
            }

            try
            {
                await next.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new ShouldAssertException($"the receiver did not get what was expected in time; it got {Received.Count} requests: {string.Join(", ", Received.Select(r => $"#{r.Number} {r.Status} seq {r.Sequence}"))}");
            }
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
