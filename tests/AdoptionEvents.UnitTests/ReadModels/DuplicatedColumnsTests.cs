using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using AdoptionEvents.ReadModels;
using AdoptionEvents.ReadModels.Building;
using AdoptionEvents.ReadModels.InnovationSummaries;
using AdoptionEvents.ReadModels.SiteRegister;
using Marten;

namespace AdoptionEvents.UnitTests.ReadModels;

public class DuplicatedColumnsTests
{
    private static StoreOptions Store()
    {
        var options = new StoreOptions();
        options.Connection("Host=localhost");
        options.ConfigureReadModels(new StageThresholds());
        return options;
    }

    /// <summary>The fields of each COPY row in the buffer, as PostgreSQL's binary format lays them out (null: a NULL field).</summary>
    private static List<List<byte[]?>> Rows(CopyRows rows)
    {
        var bytes = rows.Written.Span;
        var result = new List<List<byte[]?>>();
        var at = 0;
        while (at < bytes.Length)
        {
            var count = BinaryPrimitives.ReadInt16BigEndian(bytes[at..]);
            at += 2;
            var fields = new List<byte[]?>();
            for (var i = 0; i < count; i++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(bytes[at..]);
                at += 4;
                fields.Add(length < 0 ? null : bytes.Slice(at, length).ToArray());
                at += Math.Max(length, 0);
            }

            result.Add(fields);
        }

        return result;
    }

    private static byte[] Uuid(Guid value)
    {
        var bytes = new byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        return bytes;
    }

    [Fact]
    public void The_site_register_rows_carry_its_innovation_and_site_after_the_json_type_and_version()
    {
        var columns = DuplicatedColumns.For(Store(), typeof(SiteAdoption));
        columns.Names.ShouldBe(["innovation_id", "site_id"]);
        columns.ColumnList.ShouldBe(", innovation_id, site_id");

        var site = new SiteAdoption { Id = Guid.NewGuid(), InnovationId = Guid.NewGuid(), SiteId = Guid.NewGuid() };
        using var rows = new CopyRows(new BufferPool<byte>(), columns.Names.Count);
        rows.StartRow(site.Id);
        rows.Write("{}"u8);
        rows.EndRow("t"u8, guidVersion: null, version: 3);
        columns.Write(rows, site);

        var row = Rows(rows).ShouldHaveSingleItem();
        row.Count.ShouldBe(6);
        row[0].ShouldBe(Uuid(site.Id));
        Encoding.UTF8.GetString(row[1]![1..]).ShouldBe("{}", "jsonb's version byte, then the JSON");
        Encoding.UTF8.GetString(row[2]!).ShouldBe("t");
        BinaryPrimitives.ReadInt64BigEndian(row[3]).ShouldBe(3);
        row[4].ShouldBe(Uuid(site.InnovationId));
        row[5].ShouldBe(Uuid(site.SiteId));
    }

    [Fact]
    public void A_type_without_duplicated_fields_keeps_the_four_columns()
    {
        var columns = DuplicatedColumns.For(Store(), typeof(InnovationSummary));
        columns.Names.ShouldBeEmpty();
        columns.ColumnList.ShouldBe("");

        using var rows = new CopyRows(new BufferPool<byte>(), columns.Names.Count);
        rows.StartRow(Guid.NewGuid());
        rows.Write("{}"u8);
        rows.EndRow("t"u8, Guid.NewGuid(), 0);
        columns.Write(rows, new InnovationSummary());

        Rows(rows).ShouldHaveSingleItem().Count.ShouldBe(4);
    }

    [Fact]
    public void A_null_value_is_written_as_a_null_field()
    {
        using var rows = new CopyRows(new BufferPool<byte>(), 1);
        rows.StartRow(Guid.NewGuid());
        rows.Write("{}"u8);
        rows.EndRow("t"u8, guidVersion: null, version: 1);
        rows.AddUuid(null);

        Rows(rows).ShouldHaveSingleItem()[4].ShouldBeNull();
    }

    private sealed class Named
    {
        public Guid Id { get; set; }

        public string Name { get; set; } = "";
    }

    [Fact]
    public void A_duplicated_field_that_is_not_a_guid_is_refused_naming_it_rather_than_written_wrong()
    {
        var options = Store();
        options.Schema.For<Named>().Duplicate(x => x.Name);

        Should.Throw<NotSupportedException>(() => DuplicatedColumns.For(options, typeof(Named))).Message.ShouldContain("Named.Name");
    }
}
