using System.Text;
using System.Text.Json;
using AdoptionEvents.Integration;
using AdoptionEvents.UnitTests.ReadModels;

namespace AdoptionEvents.UnitTests.Integration;

public class CloudEventTests
{
    [Fact]
    public void The_broker_gets_the_same_bytes_as_webhooks_and_the_live_stream_for_every_event_of_the_sample_journey()
    {
        foreach (var e in Folding.Events(Folding.Sample(Guid.CreateVersion7(), Guid.CreateVersion7()).Select(f => (f.Id, f.Fact))))
        {
            var cloudEvent = CloudEvents.From(e, CloudEvents.DefaultSource)!;

            var bytes = CloudEvents.SerializeToUtf8Bytes(cloudEvent);

            bytes.ShouldBe(Encoding.UTF8.GetBytes(CloudEvents.Serialize(cloudEvent)));
            JsonDocument.Parse(bytes).RootElement.GetProperty("type").GetString().ShouldBe(cloudEvent.Type);
        }
    }
}
