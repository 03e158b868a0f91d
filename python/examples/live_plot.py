#!/usr/bin/env python3
"""A live matplotlib plot of a stream of oneliner-demo-server: daq/trace (an
array of 1024 samples per message, with its x axis and unit from the
stream's description) or any stream of numbers (a scrolling line). It uses
the asyncio client: the plot stays responsive while messages come.

    python3 live_plot.py [--rpc ...] [--stream ...] [NAME]     (default daq/trace)
"""
import argparse
import asyncio
import collections

import matplotlib.pyplot as plt

import oneliner
import oneliner.aio


async def main(a):
    async with oneliner.aio.Client(a.rpc, a.stream) as c:
        info = (await c.streams())[a.name]
        desc = info.get("description", {})
        fig, ax = plt.subplots()
        ax.set_title(f"{a.name}: {desc.get('text', '')}")
        ax.set_ylabel(desc.get("unit", ""))
        (line,) = ax.plot([], [])
        history = collections.deque(maxlen=500)
        plt.show(block=False)
        async for msg in c.subscribe(a.name, storage="cache"):
            v = msg.value
            if isinstance(v, list):                       # a waveform
                x = desc.get("x", {})
                start, step = x.get("start", 0), x.get("step", 1)
                line.set_data([start + i * step for i in range(len(v))], v)
                ax.set_xlabel(x.get("unit", "sample"))
            else:                                         # a number: scroll
                history.append(v)
                line.set_data(range(len(history)), list(history))
            ax.relim()
            ax.autoscale_view()
            fig.canvas.draw_idle()
            fig.canvas.flush_events()
            if not plt.fignum_exists(fig.number):
                break
            await asyncio.sleep(0.03)                      # about 30 redraws/s


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpc", default=oneliner.DEFAULT_RPC)
    ap.add_argument("--stream", default=oneliner.DEFAULT_STREAM)
    ap.add_argument("name", nargs="?", default="daq/trace")
    asyncio.run(main(ap.parse_args()))
