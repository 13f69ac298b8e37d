using System.Linq.Expressions;
using System.Reflection;
using Marten;

namespace AdoptionEvents.ReadModels.Building;

/// <summary>
/// The columns Marten keeps beside a document's JSON for the fields it duplicates (<c>Duplicate(x => x.Field)</c>),
/// which its own writes fill from the document. The builder's COPY bypasses those writes, so it fills them the same
/// way: the values are read from the documents as they are encoded. Only Guid fields are duplicated in this store,
/// written as uuid; another type is refused when the build starts, not written wrong.
/// </summary>
internal sealed class DuplicatedColumns
{
    private readonly Func<object, Guid?>[] _values;

    private DuplicatedColumns(string[] names, Func<object, Guid?>[] values)
    {
        Names = names;
        _values = values;
    }

    /// <summary>The column names, in the order each row carries their values.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The names as they follow the JSON's columns in a column list: empty, or ", a, b".</summary>
    public string ColumnList => string.Concat(Names.Select(n => ", " + n));

    /// <summary>The type's duplicated fields as Marten maps them.</summary>
    public static DuplicatedColumns For(StoreOptions options, Type type)
    {
        var fields = ((IReadOnlyStoreOptions)options).FindOrResolveDocumentType(type).DuplicatedFields;
        var names = new string[fields.Count];
        var values = new Func<object, Guid?>[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            if (field.MemberType != typeof(Guid) && field.MemberType != typeof(Guid?))
            {
                throw new NotSupportedException(
                    $"{type.Name}.{field.MemberName} is duplicated as a {field.MemberType.Name}; the read-model builder writes duplicated Guid fields only");
            }

            names[i] = field.ColumnName;
            values[i] = Getter(type, field.Members);
        }

        return new DuplicatedColumns(names, values);
    }

    /// <summary>Appends the document's values to the row being written, after its JSON, type and version.</summary>
    public void Write(CopyRows rows, object document)
    {
        foreach (var value in _values)
        {
            rows.AddUuid(value(document));
        }
    }

    // document => (Guid?)((T)document).A.B, compiled once per build: the builder encodes tens of thousands of rows.
    private static Func<object, Guid?> Getter(Type type, MemberInfo[] path)
    {
        var document = Expression.Parameter(typeof(object), "document");
        Expression body = Expression.Convert(document, type);
        foreach (var member in path)
        {
            body = Expression.MakeMemberAccess(body, member);
        }

        return Expression.Lambda<Func<object, Guid?>>(Expression.Convert(body, typeof(Guid?)), document).Compile();
    }
}
