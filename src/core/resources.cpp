// The client's resource handles that <handinger/client.hpp> only declares
// (their headers are included where they are used).
#include <handinger/client.hpp>
#include <handinger/schedules.hpp>
#include <handinger/webhooks.hpp>

namespace handinger {

schedules client::schedules() const
{
    return handinger::schedules(impl_);
}
webhooks client::webhooks() const
{
    return handinger::webhooks(impl_);
}

} // namespace handinger
