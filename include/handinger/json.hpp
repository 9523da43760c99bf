// JSON <-> models. Reading is lenient (see models.hpp) and reports the first
// problem with its field path: "task.totals.credits: expected integer, got
// string". Writing uses the wire names and leaves absent optionals out.
#pragma once

#include <handinger/models.hpp>
#include <handinger/worker_models.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace handinger {

/// Reads a T from a parsed JSON value. On failure sets ec to
/// error::invalid_response and `what` to "path: problem" (the path of the
/// root itself is "(root)": "(root): expected object, got array"), and leaves
/// out unspecified. On success ec is cleared and `what` emptied. T is one of
/// the models of models.hpp, or worker_template, delete_worker_response or
/// worker_email (worker_models.hpp).
template <class T>
void read_json(const boost::json::value& v, T& out, boost::system::error_code& ec, std::string& what);

/// Parses text then reads a T; an unparseable text is error::invalid_response
/// with what = "invalid JSON: <parser message> at offset N".
template <class T>
void parse_json(std::string_view text, T& out, boost::system::error_code& ec, std::string& what);

/// Throwing form of parse_json: throws api_error(invalid_response) whose
/// diagnostics' client_message is `what`.
template <class T>
T parse_json(std::string_view text);

// Writers, usable through boost::json::value_from(x) and
// boost::json::serialize(boost::json::value_from(x)).
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const create_task_params& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const task_totals& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const task& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const turn_file& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const turn& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const task_with_turns& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const task_turn_list& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const delete_task_response& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const run_content& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const run_message& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const run_usage& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const run_result& v);
/// A request body: absent fields left out, a cleared output schema as null.
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const create_worker_params& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const update_worker_params& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const worker_template& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const delete_worker_response& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const worker_email& v);

/// The compact JSON text of a model (its value_from).
template <class T>
std::string to_json_string(const T& v);

} // namespace handinger
