"""Every locust user of the dispatch core in one file, for a single headless command:

    CAD_MQTT_URL=mqtt://cad-service:PASSWORD@127.0.0.1:1883 CAD_TOPIC_ROOT=cad \
    CAD_HTTP_URL=http://127.0.0.1:8000 CAD_TOKEN=... \
    locust -f loadtests/locustfile.py --headless -u 60 -r 20 -t 60s \
        --host http://127.0.0.1:8000 --csv /tmp/cad-locust

Pick user classes by name on the command line (e.g. `CallGateway MdtFleet`) to run fewer.
"""

from loadtests.avl import AvlFleet
from loadtests.http_calls import CallHandler
from loadtests.mdts import MdtFleet
from loadtests.mqtt_calls import CallGateway

__all__ = ["AvlFleet", "CallGateway", "CallHandler", "MdtFleet"]
