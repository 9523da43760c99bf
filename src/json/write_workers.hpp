// Internal: the bodies of a worker's create (POST) and update (PATCH),
// written straight to text.
#pragma once

#include <handinger/worker_models.hpp>

#include <string>
#include <string_view>

namespace handinger::detail {

/// The fields of a worker's create or update body in wire order, absent
/// ones left out: the one description of those bodies, which both their
/// writers follow (the text below, and value_from of the params). `f` is
/// called as f(key, std::string_view) for a string and f(key, const
/// boost::json::object*) for the output schema, a null pointer meaning
/// JSON null.
template <class F>
void for_each_worker_field(const create_worker_params& p, F&& f)
{
    if (p.instructions)
        f(std::string_view("instructions"), std::string_view(*p.instructions));
    if (p.prompt)
        f(std::string_view("prompt"), std::string_view(*p.prompt));
    if (p.output_schema)
        f(std::string_view("outputSchema"), &*p.output_schema);
    if (p.summary)
        f(std::string_view("summary"), std::string_view(*p.summary));
    if (p.title)
        f(std::string_view("title"), std::string_view(*p.title));
    if (p.visibility)
        f(std::string_view("visibility"), p.visibility->str());
}

template <class F>
void for_each_worker_field(const update_worker_params& p, F&& f)
{
    if (p.instructions)
        f(std::string_view("instructions"), std::string_view(*p.instructions));
    if (!p.output_schema.is_unchanged())
        f(std::string_view("outputSchema"), p.output_schema.get()); // null: clear it
    if (p.summary)
        f(std::string_view("summary"), std::string_view(*p.summary));
    if (p.title)
        f(std::string_view("title"), std::string_view(*p.title));
    if (p.visibility)
        f(std::string_view("visibility"), p.visibility->str());
}

/// The body of POST /api/workers: the same text as serialize(value_from(p)).
std::string create_worker_body(const create_worker_params& p);
/// The body of PATCH /api/workers/{id}: the same text as
/// serialize(value_from(p)); `{}` when nothing changes.
std::string update_worker_body(const update_worker_params& p);

} // namespace handinger::detail
